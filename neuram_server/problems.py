"""Errors as RFC 9457 problem documents, each with a stable ``code``.

Every failure a client can cause, and every fault of ours, leaves the server as
``application/problem+json``: ``type`` (``urn:neuram:problem:<code>``), ``title``,
``status``, ``detail``, ``code`` and ``instance`` (the request path). Never a traceback.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PROBLEM_TYPE", "TITLES", "Problem", "problem_body"]

PROBLEM_TYPE = "urn:neuram:problem:"

# code -> (HTTP status, title). The codes are part of the API: never renamed.
TITLES: dict[str, tuple[int, str]] = {
    "malformed_json": (400, "The body is not valid JSON"),
    "invalid_request": (422, "The request does not match the API's schema"),
    "invalid_value": (422, "A value was rejected"),
    "text_too_long": (422, "A text is over the server's size limit"),
    "top_k_too_large": (422, "top_k is over the server's limit"),
    "invalid_namespace": (422, "The namespace name is not valid"),
    "invalid_cursor": (422, "The page cursor is not valid"),
    "missing_api_key": (401, "An API key is required"),
    "invalid_api_key": (401, "The API key is not known"),
    "read_only": (403, "This key or server may only read"),
    "namespace_not_found": (404, "No such namespace"),
    "engram_not_found": (404, "No such memory"),
    "not_found": (404, "No such resource"),
    "method_not_allowed": (405, "Method not allowed"),
    "body_too_large": (413, "The request body is over the server's limit"),
    "unsupported_media_type": (415, "The body must be JSON (or JSON Lines for an import)"),
    "embedder_mismatch": (409, "The namespace was embedded with another model"),
    "store_unavailable": (503, "The long-term store did not answer"),
    "shutting_down": (503, "The server is shutting down"),
    "internal_error": (500, "Internal server error"),
}


class Problem(Exception):
    """Raise anywhere in a request: answered as a problem document with ``code``."""

    def __init__(self, code: str, detail: str, **extra: Any) -> None:
        if code not in TITLES:  # pragma: no cover - a programming error
            raise KeyError(code)
        super().__init__(detail)
        self.code = code
        self.status = TITLES[code][0]
        self.detail = detail
        self.extra = extra


def problem_body(code: str, detail: str, instance: str, **extra: Any) -> dict[str, Any]:
    status, title = TITLES[code]
    return {
        "type": PROBLEM_TYPE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": instance,
        **extra,
    }
