"""The numpy path against sentence-transformers on the same weights: same vectors on real
conversation turns, and throughput side by side.

    python -m benchmarks.embedder_equivalence [--locomo ../shared/benchdata/locomo10.json]
                                              [--turns 1000] [--texts 256] [--rounds 5]

Cosine between the two embeddings of 1,000 LoCoMo turns (read from the file in place, never
copied; the row is skipped when the file is absent), whether their token ids agree, and texts
per second of each on the speed benchmark's 256 ingest texts, alternating which goes first.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.speed import ingest_texts
from neuram_core.bert import BertEmbedder
from neuram_core.embeddings import SentenceTransformerEmbedder, resolve_model_path

ROOT = Path(__file__).resolve().parent.parent
LOCOMO = ROOT.parent / "shared" / "benchdata" / "locomo10.json"


def locomo_turns(path: Path, count: int, seed: int = 0) -> list[str]:
    """``count`` turns of the LoCoMo conversations, sampled with a fixed seed."""
    data = json.loads(path.read_text(encoding="utf-8"))
    turns = [
        turn["text"]
        for sample in data
        for session in sample["conversation"].values()
        if isinstance(session, list)
        for turn in session
        if turn.get("text")
    ]
    return random.Random(seed).sample(turns, min(count, len(turns)))


def agreement(ours: BertEmbedder, model: str, texts: list[str]) -> dict[str, Any]:
    """Cosine of the two embeddings of each text, and how many texts get the same token ids."""
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(model, device="cpu")
    theirs = reference.encode(texts, batch_size=64, convert_to_numpy=True, show_progress_bar=False)
    cosine = np.sum(ours.embed(texts) * theirs, axis=1) / np.linalg.norm(theirs, axis=1)
    expected = reference.tokenizer(
        [t.strip() for t in texts], truncation=True, max_length=reference.max_seq_length
    )["input_ids"]
    same_ids = sum(x == y for x, y in zip(ours.model().token_ids(texts), expected, strict=True))
    return {"texts": len(texts), "cos_min": float(cosine.min()), "cos_mean": float(cosine.mean()), "same_ids": same_ids}


def throughput(embedders: dict[str, Any], texts: Sequence[str], rounds: int) -> dict[str, float]:
    """Texts per second of each embedder, the median of ``rounds``, in alternating order."""
    rates: dict[str, list[float]] = {name: [] for name in embedders}
    names = list(embedders)
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            t = time.perf_counter()
            embedders[name].embed(texts)
            rates[name].append(len(texts) / (time.perf_counter() - t))
    return {name: statistics.median(values) for name, values in rates.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.embedder_equivalence")
    parser.add_argument("--locomo", type=Path, default=LOCOMO)
    parser.add_argument("--turns", type=int, default=1000)
    parser.add_argument("--texts", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    model = resolve_model_path()
    ours, theirs = BertEmbedder(model), SentenceTransformerEmbedder(model)
    if args.locomo.is_file():
        row = agreement(ours, model, locomo_turns(args.locomo, args.turns))
        print(
            f"LoCoMo, {row['texts']:,} turns: cosine min {row['cos_min']:.8f}, mean {row['cos_mean']:.8f}; "
            f"token ids identical for {row['same_ids']:,} of {row['texts']:,}"
        )
    else:
        print(f"LoCoMo row skipped: {args.locomo} not found")
    texts = ingest_texts(args.texts)
    embedders = {"numpy (BertEmbedder)": ours, "sentence-transformers": theirs}
    for embedder in embedders.values():
        embedder.embed(texts[:32])  # warm-up
    rates = throughput(embedders, texts, args.rounds)
    print(f"{len(texts)} texts of 100 characters, texts/s (median of {args.rounds} alternating rounds):")
    for name, rate in rates.items():
        print(f"  {name}: {rate:,.0f}/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
