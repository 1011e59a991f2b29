"""neuram: the seed's import path (``from neuram import Brain, ...``), re-exporting
:mod:`neuram_core`'s public API."""

from neuram_core import *  # noqa: F403
from neuram_core import __all__ as __all__
