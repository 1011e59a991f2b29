"""neuram's memory server (``pip install "neuram[server]"``): a REST API and MCP tools over
the same Brain API, many tenants (namespaces) behind API keys, and RemoteBrain, the client
that makes a server look like a local Brain.

Modules load on first use, so ``import neuram_server`` costs nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from neuram_server.app import create_app
    from neuram_server.remote import RemoteBrain
    from neuram_server.settings import ServerSettings

__all__ = ["RemoteBrain", "ServerSettings", "create_app"]

_MODULES = {
    "RemoteBrain": "neuram_server.remote",
    "ServerSettings": "neuram_server.settings",
    "create_app": "neuram_server.app",
}


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module 'neuram_server' has no attribute {name!r}")
    return getattr(importlib.import_module(_MODULES[name]), name)
