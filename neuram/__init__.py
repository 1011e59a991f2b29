"""neuram: the seed's import path (``from neuram import Brain, ...``), re-exporting
:mod:`neuram_core`'s public API, plus :class:`RemoteBrain` (``neuram[server]``), the same
API on a neuram server, loaded on first use so ``import neuram`` stays light."""

from typing import TYPE_CHECKING, Any

from neuram_core import *  # noqa: F403
from neuram_core import __all__ as _core_all

if TYPE_CHECKING:
    from neuram_server.remote import RemoteBrain

__all__ = [*_core_all, "RemoteBrain"]


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
