"""The errors neuram raises. Every one is a ValueError or a RuntimeError subclass so
callers who do not know neuram can still catch them by the usual builtins."""

from __future__ import annotations

import re

__all__ = [
    "ChangeLogTrimmedError",
    "EmbedderMismatchError",
    "ModelUnavailableError",
    "NeuramError",
    "StoreUnavailableError",
    "UnknownEngramError",
]


class NeuramError(Exception):
    """Base class of every error neuram raises on purpose."""


class UnknownEngramError(NeuramError, ValueError):
    """An engram id that this namespace does not hold."""

    def __init__(self, engram_id: str) -> None:
        super().__init__(f"no engram with id {engram_id!r} in this namespace")
        self.engram_id = engram_id


class StoreUnavailableError(NeuramError, RuntimeError):
    """The long-term store did not answer in time or refused the operation."""


class ChangeLogTrimmedError(NeuramError, RuntimeError):
    """A store's change log was trimmed past a reader's cursor: changes it never saw are
    gone, so replaying the log cannot bring its index up to date; reload the namespace."""

    def __init__(self, namespace: str) -> None:
        super().__init__(f"the change log of namespace {namespace!r} was trimmed past this cursor; reload it")
        self.namespace = namespace


class ModelUnavailableError(NeuramError, RuntimeError):
    """A named embedding model could not be loaded: not a folder on this disk, and the
    Hugging Face hub (or its cache) could not provide it."""

    def __init__(self, model: str, *, offline: bool, folder_error: str | None = None) -> None:
        """``folder_error``: what loading said when ``model`` is a folder that exists."""
        if folder_error is not None:
            why = f"the folder holds no model sentence-transformers can read ({folder_error})"
        else:
            where = (
                "nor in the Hugging Face cache, and downloads are switched off (HF_HUB_OFFLINE)"
                if offline
                else "and the Hugging Face hub could not provide it (no such model, or no network)"
            )
            why = f"it is not a folder on this disk {where}"
        super().__init__(
            f"the embedding model {model!r} could not be loaded: {why}. "
            "Name a model folder or a downloaded model (or, in Python, pass an embedder object)"
        )
        self.model = model


class EmbedderMismatchError(NeuramError, ValueError):
    """A namespace's vectors were made by another embedder, or are being re-made: cosine
    between two models' vectors is noise, so reading them would recall junk.

    ``recorded`` is the namespace's model (with ``reembedding``: the model a stopped or
    running ``neuram reembed`` moves it to), ``given`` the embedder's; each with its
    dimension when known."""

    def __init__(
        self,
        namespace: str,
        recorded: str,
        given: str,
        *,
        recorded_dimension: int | None = None,
        given_dimension: int | None = None,
        reembedding: bool = False,
    ) -> None:
        if reembedding:
            message = (
                f"namespace {namespace!r} is being re-embedded to {recorded}, or a re-embed stopped midway: "
                f"its vectors are mixed. Run {_reembed(recorded)} again "
                "(it re-embeds everything, so running it again is safe)"
            )
        else:
            message = (
                f"namespace {namespace!r} was embedded with {_named(recorded, recorded_dimension)}, "
                f"not {_named(given, given_dimension)}: open it with that embedder, or move it to the "
                f"new one with {_reembed(given)}"
            )
        super().__init__(message)
        self.namespace = namespace
        self.recorded = recorded
        self.given = given
        self.reembedding = reembedding


def _reembed(identity: str) -> str:
    """How to move a namespace to the embedder of ``identity``: the CLI for a model it can
    name (a hub name or path, ``hashing-N``), else the Python call with that object (a
    LangChain or custom embedder's identity is its class name: no command reaches it)."""
    named = "/" in identity and ":" not in identity.split("/", 1)[0]  # "Class:org/model" is an object's
    if named or re.fullmatch(r"hashing-\d+", identity):
        return f"`neuram reembed --embedder {identity}`"
    return "`await neuram_core.identity.reembed(store, namespace, embedder)` given that embedder"


def _named(model: str, dimension: int | None) -> str:
    return model if dimension is None else f"{model} ({dimension} dimensions)"
