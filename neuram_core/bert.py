"""Run a sentence-transformers BERT model (all-MiniLM-L6-v2 by default) with numpy alone.

Importing sentence-transformers costs seconds (torch, scikit-learn) in every process that
embeds, so every ``neuram recall`` paid it. The models most users run are a plain BERT
encoder, mean pooling and normalisation: a few matrix products that numpy does with the
same weights and, as tests/slow/test_bert_equivalence.py checks, the same vectors. Only such
models take this path (:func:`plain_bert_spec`); any other keeps sentence-transformers.
Nothing here imports torch, transformers or sentence-transformers.
"""

from __future__ import annotations

import json
import mmap
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from neuram_core.embeddings import SentenceTransformerEmbedder

if TYPE_CHECKING:
    from tokenizers import Tokenizer

    from neuram_core.engram import Vector

__all__ = ["BertEmbedder", "BertSpec", "load_safetensors", "plain_bert_spec"]

_ST = "sentence_transformers.models."
# What a plain sentence model's modules.json lists: an encoder, mean pooling, and optionally
# normalisation (which BaseEmbedder.embed does anyway).
_PLAIN_MODULES = ([_ST + "Transformer", _ST + "Pooling"], [_ST + "Transformer", _ST + "Pooling", _ST + "Normalize"])
_MEAN_ONLY = {
    "pooling_mode_cls_token": False,
    "pooling_mode_mean_tokens": True,
    "pooling_mode_max_tokens": False,
    "pooling_mode_mean_sqrt_len_tokens": False,
    "pooling_mode_weightedmean_tokens": False,
    "pooling_mode_lasttoken": False,
}
_DTYPES: dict[str, np.dtype[Any]] = {"F32": np.dtype("<f4"), "F16": np.dtype("<f2")}
# Rows per forward pass: texts of one pass are padded to its longest, so sorted lengths
# keep padding small; 32 rows of 256 tokens hold 100 MB of attention scores at most.
_ROWS_PER_PASS = 32


@dataclass(frozen=True, slots=True)
class BertSpec:
    """What a model folder says about the network: enough to run it."""

    folder: Path
    layers: int
    heads: int
    hidden: int
    eps: float
    max_tokens: int


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _plain_modules(folder: Path) -> bool:
    """modules.json names only Transformer → mean Pooling (→ Normalize), in that order."""
    modules = _read_json(folder / "modules.json")
    if not isinstance(modules, list) or not all(isinstance(m, dict) for m in modules):
        return False
    if [m.get("type") for m in modules] not in _PLAIN_MODULES or modules[0].get("path", "") != "":
        return False
    pooling = _read_json(folder / str(modules[1].get("path", "")) / "config.json")
    return isinstance(pooling, dict) and all(pooling.get(k, False) == v for k, v in _MEAN_ONLY.items())


def plain_bert_spec(folder: str | os.PathLike[str]) -> BertSpec | None:
    """The spec of a folder holding a plain BERT sentence model with safetensors weights and
    a tokenizer.json, or None (another architecture, pooling, option or weight format, for
    which sentence-transformers stays the way)."""
    path = Path(folder)
    config = _read_json(path / "config.json")
    st_config = _read_json(path / "sentence_bert_config.json")
    if not (isinstance(config, dict) and isinstance(st_config, dict) and _plain_modules(path)):
        return None
    plain = (
        config.get("model_type") == "bert"
        and config.get("hidden_act") == "gelu"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and not st_config.get("do_lower_case", False)
        and not any(st_config.get(k) for k in ("model_args", "tokenizer_args", "config_args"))
        and isinstance(st_config.get("max_seq_length"), int)
        and (path / "model.safetensors").is_file()
        and (path / "tokenizer.json").is_file()
    )
    if not plain:
        return None
    return BertSpec(
        folder=path,
        layers=int(config["num_hidden_layers"]),
        heads=int(config["num_attention_heads"]),
        hidden=int(config["hidden_size"]),
        eps=float(config.get("layer_norm_eps", 1e-12)),
        max_tokens=min(int(st_config["max_seq_length"]), int(config["max_position_embeddings"])),
    )


def load_safetensors(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """The float tensors of a .safetensors file as float32 arrays over a read-only memory map:
    float32 weights are not copied, so processes on one machine share one copy of the pages
    (the safetensors package's numpy loader reads a private copy into each process)."""
    with open(path, "rb") as handle:
        size = int.from_bytes(handle.read(8), "little")
        header = json.loads(handle.read(size))
        data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    start = 8 + size
    tensors: dict[str, np.ndarray] = {}
    for name, meta in header.items():
        if name == "__metadata__" or meta["dtype"] not in _DTYPES:
            continue  # integer buffers (position_ids) are not weights
        dtype = _DTYPES[meta["dtype"]]
        begin, end = meta["data_offsets"]
        if start + end > len(data) or (end - begin) != dtype.itemsize * int(np.prod(meta["shape"])):
            raise ValueError(f"{path}: tensor {name} does not fit the file; is it truncated?")
        array = np.frombuffer(data, dtype=dtype, count=(end - begin) // dtype.itemsize, offset=start + begin)
        tensors[name] = array.reshape(meta["shape"]).astype(np.float32, copy=False)
    return tensors


class _Layer(NamedTuple):
    """One encoder layer's weights, matrices stored (out, in) as PyTorch saves them."""

    qkv: np.ndarray
    qkv_bias: np.ndarray
    attention_out: np.ndarray
    attention_out_bias: np.ndarray
    norm1: tuple[np.ndarray, np.ndarray]
    up: np.ndarray
    up_bias: np.ndarray
    down: np.ndarray
    down_bias: np.ndarray
    norm2: tuple[np.ndarray, np.ndarray]


def _layer(weights: dict[str, np.ndarray], prefix: str) -> _Layer:
    def w(name: str) -> np.ndarray:
        return weights[prefix + name]

    qkv = ("attention.self.query.", "attention.self.key.", "attention.self.value.")
    return _Layer(
        qkv=np.concatenate([w(p + "weight") for p in qkv]),
        qkv_bias=np.concatenate([w(p + "bias") for p in qkv]),
        attention_out=w("attention.output.dense.weight"),
        attention_out_bias=w("attention.output.dense.bias"),
        norm1=(w("attention.output.LayerNorm.weight"), w("attention.output.LayerNorm.bias")),
        up=w("intermediate.dense.weight"),
        up_bias=w("intermediate.dense.bias"),
        down=w("output.dense.weight"),
        down_bias=w("output.dense.bias"),
        norm2=(w("output.LayerNorm.weight"), w("output.LayerNorm.bias")),
    )


def layer_norm(x: np.ndarray, gain_bias: tuple[np.ndarray, np.ndarray], eps: float) -> np.ndarray:
    """LayerNorm over the last axis, in place (x is a temporary of the forward pass)."""
    x -= x.mean(-1, keepdims=True)
    scale = np.einsum("...i,...i->...", x, x)[..., None]
    scale /= x.shape[-1]
    scale += np.float32(eps)
    np.sqrt(scale, out=scale)
    x /= scale
    x *= gain_bias[0]
    x += gain_bias[1]
    return x


# Abramowitz & Stegun 7.1.26: erf within 1.5e-7 (float32's epsilon is 1.2e-7). numpy has
# no erf, and BERT's GELU is the exact one; scipy would be a large import for one function.
# p, then a5 … a1 (the order Horner's rule takes them).
_ERF = tuple(np.float32(c) for c in (0.3275911, 1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592))
_SQRT_HALF = np.float32(0.7071067811865476)


def gelu(x: np.ndarray) -> np.ndarray:
    """x · Φ(x) with the exact (erf) Φ, in place."""
    z = np.abs(x) * _SQRT_HALF
    t = 1.0 / (1.0 + _ERF[0] * z)
    poly = np.zeros_like(t)
    for c in _ERF[1:]:
        poly += c
        poly *= t
    tail = poly * np.exp(-z * z) * np.float32(0.5)  # = Φ(-|x|)
    x *= np.where(x >= 0, np.float32(1.0) - tail, tail)
    return x


class BertModel:
    """A BERT encoder with mean pooling over one model folder; thread-safe once made (the
    weights are read-only and every call works on its own arrays)."""

    def __init__(self, spec: BertSpec) -> None:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(spec.folder / "tokenizer.json"))
        # tokenizer.json may carry its own truncation (128 for all-MiniLM-L6-v2) and a fixed
        # padding; sentence-transformers truncates at max_seq_length and pads per batch.
        tokenizer.enable_truncation(spec.max_tokens)
        tokenizer.no_padding()
        self.tokenizer: Tokenizer = tokenizer
        self.spec = spec
        weights = load_safetensors(spec.folder / "model.safetensors")
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in weights else ""

        def w(name: str) -> np.ndarray:
            return weights[prefix + name]

        self.words = w("embeddings.word_embeddings.weight")
        self.positions = w("embeddings.position_embeddings.weight")
        self.token_type = w("embeddings.token_type_embeddings.weight")[0]
        self.norm = (w("embeddings.LayerNorm.weight"), w("embeddings.LayerNorm.bias"))
        self.layers = [_layer(weights, f"{prefix}encoder.layer.{i}.") for i in range(spec.layers)]

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        """Token ids as sentence-transformers makes them (it strips each text first)."""
        return [e.ids for e in self.tokenizer.encode_batch([t.strip() for t in texts])]

    def encode(self, texts: list[str]) -> Vector:
        """Mean-pooled embeddings, one row per text, in passes of texts of similar length."""
        ids = self.token_ids(texts)
        lengths = np.array([len(i) for i in ids])
        order = np.argsort(-lengths, kind="stable")
        out = np.empty((len(texts), self.spec.hidden), dtype=np.float32)
        for start in range(0, len(texts), _ROWS_PER_PASS):
            rows = order[start : start + _ROWS_PER_PASS]
            batch = np.zeros((len(rows), int(lengths[rows[0]])), dtype=np.int64)
            mask = np.zeros(batch.shape, dtype=np.float32)
            for r, j in enumerate(rows):
                batch[r, : lengths[j]] = ids[j]
                mask[r, : lengths[j]] = 1.0
            out[rows] = self.forward(batch, mask)
        return out

    def forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Token ids (batch, length) and their 0/1 mask to mean-pooled hidden states."""
        batch, length = ids.shape
        x = self.words[ids] + self.positions[:length] + self.token_type
        x = layer_norm(x.reshape(batch * length, self.spec.hidden), self.norm, self.spec.eps)
        masked = np.where(mask > 0, np.float32(0.0), np.float32(-1e9))[:, None, None, :]
        for layer in self.layers:
            x = self._layer(x, layer, batch, masked)
        summed: np.ndarray = np.einsum("bld,bl->bd", x.reshape(batch, length, self.spec.hidden), mask)
        summed /= mask.sum(1, keepdims=True)  # every text has at least [CLS] and [SEP]
        return summed

    def _layer(self, x: np.ndarray, layer: _Layer, batch: int, masked: np.ndarray) -> np.ndarray:
        heads, hidden = self.spec.heads, self.spec.hidden
        size = hidden // heads
        qkv = x @ layer.qkv.T
        qkv += layer.qkv_bias
        q, k, v = qkv.reshape(batch, -1, 3, heads, size).transpose(2, 0, 3, 1, 4)
        scores = q @ k.transpose(0, 1, 3, 2)
        scores *= np.float32(size**-0.5)
        scores += masked
        scores -= scores.max(-1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(x.shape)
        a = context @ layer.attention_out.T
        a += layer.attention_out_bias
        a += x
        x = layer_norm(a, layer.norm1, self.spec.eps)
        h = x @ layer.up.T
        h += layer.up_bias
        o = gelu(h) @ layer.down.T
        o += layer.down_bias
        o += x
        return layer_norm(o, layer.norm2, self.spec.eps)


class _OneBlasThread:
    """OpenBLAS at one thread while any embedding runs, as it was once the last one ends.

    Measured on a shared, loaded 2-core machine, 256 texts: 125 texts/s with one BLAS
    thread against 57/s with two (its threads spin and wait for each other under
    contention), and one query in 17 ms against 30 ms. BLAS threads are per process, so
    the host's own BLAS calls made meanwhile run on one thread too; counted, so two
    concurrent embeddings never restore the setting under each other."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._limiter: Any = None

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._lock:
            if self._users == 0:
                from threadpoolctl import ThreadpoolController

                self._limiter = ThreadpoolController().limit(limits=1, user_api="blas")
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    self._limiter.restore_original_limits()
                    self._limiter = None


_ONE_BLAS_THREAD = _OneBlasThread()


class BertEmbedder(SentenceTransformerEmbedder):
    """A plain BERT sentence-transformers model run with numpy: same model, same identity
    and (to float rounding) the same vectors as :class:`SentenceTransformerEmbedder`, without
    importing torch. Loads on first use; safe to call from several threads at once.
    ``one_blas_thread=False`` leaves the process's BLAS threads as they are."""

    def __init__(self, model: str | os.PathLike[str], *, batch_size: int = 256, one_blas_thread: bool = True) -> None:
        spec = plain_bert_spec(model)
        if spec is None:
            raise ValueError(
                f"{os.fspath(model)!r} is not a folder with a plain BERT sentence model "
                "(Transformer, mean Pooling, safetensors weights); use SentenceTransformerEmbedder"
            )
        super().__init__(model, batch_size=batch_size, dimension=spec.hidden)
        self.spec = spec
        self._bert: BertModel | None = None
        self._bert_lock = threading.Lock()
        self.one_blas_thread = one_blas_thread

    def model(self) -> BertModel:
        """The loaded model (loaded once, by whichever thread asks first)."""
        with self._bert_lock:
            if self._bert is None:
                self._bert = BertModel(self.spec)
            return self._bert

    def _embed(self, texts: list[str]) -> Vector:
        model = self.model()
        if not self.one_blas_thread:
            return model.encode(texts)
        with _ONE_BLAS_THREAD.held():
            return model.encode(texts)

    def __repr__(self) -> str:
        return f"BertEmbedder({self.model_name!r})"
