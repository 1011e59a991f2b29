"""neuram: the seed's import path (``from neuram import Brain, ...``), re-exporting
:mod:`neuram_core`'s public API, plus :class:`RemoteBrain` (``neuram[server]``), the same
API on a neuram server, loaded on first use so ``import neuram`` stays light."""

from typing import TYPE_CHECKING, Any

import neuram_core
from neuram_core import *  # noqa: F403

if TYPE_CHECKING:
    from neuram_server.remote import RemoteBrain

__all__ = [*neuram_core.__all__, "RemoteBrain"]


def __getattr__(name: str) -> Any:
    if name == "RemoteBrain":
        try:
            from neuram_server.remote import RemoteBrain
        except ImportError as exc:
            raise ImportError(
                f"RemoteBrain needs the server extra ({exc.name} is missing): pip install 'neuram[server]'"
            ) from exc
        return RemoteBrain
    raise AttributeError(f"module 'neuram' has no attribute {name!r}")
