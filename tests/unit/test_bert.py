"""The numpy BERT path: which models take it, what it computes, and that it is light.

It runs the bundled all-MiniLM-L6-v2 in a few hundredths of a second, so these tests use
the real weights; they skip when the bundled-model extra is not installed."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest

from neuram_core.bert import BertEmbedder, gelu, layer_norm, load_safetensors, plain_bert_spec
from neuram_core.embeddings import (
    DEFAULT_MODEL,
    SentenceTransformerEmbedder,
    model_embedder,
    resolve_embedder,
    resolve_model_path,
)

BUNDLED = Path(resolve_model_path())
pytestmark = pytest.mark.skipif(
    not (BUNDLED / "model.safetensors").is_file(), reason="the bundled model (extra bundled-model) is not installed"
)


def _copy_model(tmp_path: Path) -> Path:
    """A copy of the bundled model's small files, the weights linked: to alter one."""
    folder = tmp_path / "model"
    shutil.copytree(BUNDLED, folder, ignore=shutil.ignore_patterns("model.safetensors"))
    (folder / "model.safetensors").symlink_to(BUNDLED / "model.safetensors")
    return folder


@pytest.mark.parametrize("name", [None, "all-MiniLM-L6-v2", DEFAULT_MODEL, str(BUNDLED), BUNDLED])
def test_the_default_model_by_any_of_its_names_runs_with_numpy(name: str | Path | None) -> None:
    embedder = resolve_embedder(name)
    assert isinstance(embedder, BertEmbedder)
    assert embedder.identity == SentenceTransformerEmbedder(BUNDLED).identity == DEFAULT_MODEL
    assert embedder.known_dimension == embedder.dimension == 384


def test_another_named_model_keeps_sentence_transformers() -> None:
    embedder = model_embedder("sentence-transformers/paraphrase-MiniLM-L3-v2")
    assert type(embedder) is SentenceTransformerEmbedder
    assert embedder.identity == "sentence-transformers/paraphrase-MiniLM-L3-v2"


@pytest.mark.parametrize(
    ("file", "change"),
    [
        ("1_Pooling/config.json", {"pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True}),
        ("sentence_bert_config.json", {"do_lower_case": True}),
        ("config.json", {"model_type": "roberta"}),
        ("config.json", {"hidden_act": "gelu_new"}),
    ],
)
def test_a_folder_that_is_not_plain_bert_keeps_sentence_transformers(
    tmp_path: Path, file: str, change: dict[str, object]
) -> None:
    folder = _copy_model(tmp_path)
    assert isinstance(model_embedder(folder), BertEmbedder)
    path = folder / file
    path.write_text(json.dumps({**json.loads(path.read_text()), **change}))
    assert plain_bert_spec(folder) is None
    embedder = model_embedder(folder)
    assert type(embedder) is SentenceTransformerEmbedder and embedder.identity == str(folder.resolve())
    with pytest.raises(ValueError, match="not a folder with a plain BERT sentence model"):
        BertEmbedder(folder)


def test_more_modules_or_torch_weights_keep_sentence_transformers(tmp_path: Path) -> None:
    folder = _copy_model(tmp_path)
    modules = json.loads((folder / "modules.json").read_text())
    (folder / "modules.json").write_text(json.dumps([*modules, {"type": "sentence_transformers.models.Dense"}]))
    assert plain_bert_spec(folder) is None
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "model.safetensors").rename(folder / "pytorch_model.bin")
    assert plain_bert_spec(folder) is None


def test_the_spec_of_the_bundled_model() -> None:
    spec = plain_bert_spec(BUNDLED)
    assert spec is not None
    assert (spec.layers, spec.heads, spec.hidden, spec.eps, spec.max_tokens) == (6, 12, 384, 1e-12, 256)


def test_token_ids_are_sentence_transformers_ones_truncated_at_256() -> None:
    model = BertEmbedder(BUNDLED).model()
    # The ids sentence-transformers' tokenizer gives (read from it once).
    assert model.token_ids(["Hello, world!", "  東京で寿司 🍕 "]) == [
        [101, 7592, 1010, 2088, 999, 102],
        [101, 1879, 1755, 1665, 100, 1791, 100, 102],
    ]
    [long] = model.token_ids(["word " * 400])
    assert len(long) == 256 and long[0] == 101 and long[-1] == 102


def test_vectors_are_sentence_transformers_ones() -> None:
    vectors = BertEmbedder(BUNDLED).embed(["Paris is the capital of France", ""])
    # sentence-transformers 5 on the same weights, first four components.
    assert np.allclose(vectors[0, :4], [0.0975, 0.03246, 0.027852, -0.043115], atol=2e-6)
    assert np.allclose(vectors[1, :4], [-0.118838, 0.048299, -0.002548, -0.011011], atol=2e-6)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)


def test_length_sorted_passes_keep_each_text_its_row() -> None:
    embedder = BertEmbedder(BUNDLED)
    texts = ["short", "a somewhat longer text about a guitar lesson in Tokyo", "word " * 300, "mid length one"] * 20
    together = embedder.embed(texts)
    alone = np.vstack([embedder.embed([t]) for t in texts[:4]])
    assert np.allclose(together[:4], alone, atol=1e-5)
    assert np.allclose(together[:4], together[4:8], atol=1e-6)  # padded to another length: rounding only


def test_concurrent_calls_agree_and_leave_blas_threads_as_they_were() -> None:
    from threadpoolctl import threadpool_info

    before = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    embedder = BertEmbedder(BUNDLED)
    texts = [f"memory {i}: the guitar lesson moved to Thursday" for i in range(40)]
    expected = embedder.embed(texts)
    results: list[np.ndarray] = []
    barrier = threading.Barrier(4)

    def run() -> None:
        barrier.wait()
        for _ in range(3):
            results.append(embedder.embed(texts))

    workers = [threading.Thread(target=run) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    # Equal to float rounding (1e-7: temporaries land at other alignments), never mixed up.
    assert len(results) == 12 and all(np.allclose(r, expected, atol=1e-6) for r in results)
    assert [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"] == before


def test_gelu_is_the_exact_one() -> None:
    x = np.linspace(-6, 6, 241, dtype=np.float32)
    exact = np.array([v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x.tolist()])
    assert np.abs(gelu(x.copy()) - exact).max() < 5e-7


def test_layer_norm() -> None:
    x = np.array([[1.0, 2.0, 3.0, 6.0]], dtype=np.float32)
    out = layer_norm(x.copy(), (np.full(4, 2, np.float32), np.ones(4, np.float32)), 1e-12)
    assert np.allclose(out, 2 * (x - 3) / math.sqrt(3.5) + 1)


def test_a_truncated_weights_file_is_refused(tmp_path: Path) -> None:
    data = (BUNDLED / "model.safetensors").read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="does not fit the file"):
        load_safetensors(tmp_path / "cut.safetensors")
    weights = load_safetensors(BUNDLED / "model.safetensors")
    assert weights["embeddings.word_embeddings.weight"].shape == (30522, 384)
    assert "embeddings.position_ids" not in weights  # an integer buffer, not a weight


def test_the_default_path_imports_no_torch_or_sentence_transformers() -> None:
    code = textwrap.dedent(
        """
        import sys
        from neuram_core import Brain
        brain = Brain.open(path=":memory:")
        brain.sync.perceive("Paris is the capital of France")
        print(type(brain.embedder).__name__, len(brain.sync.recall("capital", 1)))
        print(sorted(m for m in ("torch", "transformers", "sentence_transformers") if m in sys.modules))
        brain.sync.close()
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["BertEmbedder 1", "[]"]
    assert out.stderr == ""
