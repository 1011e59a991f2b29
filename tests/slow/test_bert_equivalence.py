"""The numpy path gives sentence-transformers' token ids and vectors on varied texts:
prose and code from this repository's docs, texts past the 256-token limit, emoji, CJK,
other scripts and near-empty ones."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from neuram_core.bert import BertEmbedder
from neuram_core.embeddings import resolve_model_path

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = Path(resolve_model_path())
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (BUNDLED / "model.safetensors").is_file(), reason="the bundled model is not installed"),
]

EDGE_CASES = [
    "",
    " ",
    "\n\t",
    "a",
    ".",
    "Hello!",
    "naïve café résumé Ångström",
    "東京で寿司を食べた",
    "我昨天在北京学习了吉他。",
    "서울에서 커피를 마셨다",
    "I ❤️ pizza 🍕🍕",
    "😀" * 50,
    "👩‍👩‍👧‍👦 family emoji",
    "ALL CAPS SHOUTING",
    "tab\tnew\nline",
    "x" * 3000,
    "don't won't can't",
    "e-mail: foo@bar.com http://x.y/z?q=1",
    "Ελληνικά και русский",
    "مرحبا بالعالم",
    "שלום עולם",
    "नमस्ते दुनिया",
    "1234567890 3.14159 -42",
    "\u200bzero\u200bwidth",
    "ﬁ ligature ﬀ",
    "C++ / C# / F#",
    "word " * 400,
    "\x00control\x07chars\x1b",
    "[CLS] [SEP] [PAD] [MASK]",
]


def varied_texts(count: int = 1200) -> list[str]:
    """Sentences and code lines of the docs, long runs of them (over 256 tokens), and the
    edge cases; seeded, so every run checks the same texts."""
    pieces: list[str] = []
    for page in sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")]):
        for block in page.read_text(encoding="utf-8").split("\n\n"):
            pieces += [p.strip() for p in re.split(r"(?<=[.!?])\s+|\n", block) if p.strip()]
    rng = random.Random(14)
    texts = rng.sample(pieces, min(len(pieces), count - 200 - len(EDGE_CASES)))
    while len(texts) < count - len(EDGE_CASES):
        start = rng.randrange(len(pieces) - 80)
        texts.append(" ".join(pieces[start : start + rng.randint(40, 80)]))
    return texts + EDGE_CASES


@pytest.fixture(scope="module")
def reference() -> Any:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(BUNDLED), device="cpu")


def test_same_token_ids_and_vectors_as_sentence_transformers(reference: Any) -> None:
    texts = varied_texts()
    ours = BertEmbedder(BUNDLED)
    model = ours.model()
    # sentence-transformers strips each text, then tokenizes truncating at max_seq_length.
    stripped = [t.strip() for t in texts]
    theirs = reference.tokenizer(stripped, truncation=True, max_length=reference.max_seq_length)["input_ids"]
    assert model.token_ids(texts) == theirs
    assert sum(len(ids) == 256 for ids in theirs) >= 200  # truncation is exercised
    expected = reference.encode(texts, batch_size=64, convert_to_numpy=True, show_progress_bar=False)
    got = ours.embed(texts)
    cosine = np.sum(got * expected, axis=1) / np.linalg.norm(expected, axis=1)
    print(f"\n{len(texts)} texts: cosine min {cosine.min():.8f}, mean {cosine.mean():.8f}")
    assert len(texts) >= 1000
    assert float(cosine.min()) >= 0.999
