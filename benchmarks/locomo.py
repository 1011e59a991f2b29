"""Evidence recall on LoCoMo-format conversations (see shared/design/BENCHMARKS.md).

    python -m benchmarks.locomo --data PATH --mode retrieval|timeline [--json OUT] [--ablate NAME ...]

retrieval: every turn perceived as an engram ("Speaker: text" plus the photo caption),
           forgetting off (no gate, no sleep), every question recalled with top_k = 25.
timeline:  each conversation replayed with a manual clock at each session's own date, turns
           30 s apart, the Thalamus on, a sleep cycle after each session (default config),
           questions asked a day after the last session. Reports what was still stored.

Recall@k for a question = share of its evidence turns among the top k recalled engrams,
averaged over questions; questions whose evidence matches no turn are skipped and counted.
Columns conv1-5 and conv6-10 split the conversations in halves: every constant is chosen
on the first half, the second is what it generalises to.

--ablate switches one mechanism off (see ABLATIONS) to measure what it adds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from neuram_core import Brain, ManualClock, NeuramConfig
from neuram_core.types import Embedder

KS = (5, 10, 25)
CATEGORIES = ("1", "2", "3", "4", "5")
HALVES = ("conv1-5", "conv6-10")
OVERRIDES: dict[str, Any] = {}  # --set NAME=VALUE: config constants under study
# What each --ablate NAME switches off: config changes.
ABLATIONS: dict[str, dict[str, Any]] = {
    "lexical": {"lexical_weight": 0.0},
    "spread": {"spreading_hops": 0},
    "reminding": {"reminding_count": 0},
    "floor": {"recall_min_relevance": 0.0},
    "exchange": {"answer_salience": 0.0, "follow_up_salience": 0.0},
    "novelty": {"novelty_salience": 0.0},
    "tagging": {"tag_min_salience": 0.0, "tagged_trace_factor": 1.0},
    "fragments": {"fragment_words": 0},
}
TURN_GAP_SECONDS = 30.0
_EVIDENCE = re.compile(r"D\s*(\d+)\s*:\s*(\d+)(?:\s*-\s*(?:D\s*(\d+)\s*:\s*)?(\d+))?", re.IGNORECASE)
_DATE_FORMATS = ("%I:%M %p on %d %B, %Y", "%I:%M %p on %d %b, %Y", "%I:%M%p on %d %B, %Y", "%d %B, %Y", "%Y-%m-%d")


@dataclass(frozen=True)
class Turn:
    dia_id: str
    session: int
    text: str


@dataclass
class Conversation:
    sample_id: str
    sessions: list[tuple[float | None, list[Turn]]]
    questions: list[tuple[str, str, list[str]]]  # question, category, evidence dia ids
    unmatched_evidence: int = 0


@dataclass
class Scores:
    hits: dict[int, dict[str, list[float]]] = field(
        default_factory=lambda: {k: defaultdict(list) for k in KS}
    )
    skipped: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    def add(self, category: str, evidence: set[str], ranked: Sequence[str], half: str = HALVES[0]) -> None:
        for k in KS:
            found = len(evidence & set(ranked[:k])) / len(evidence)
            self.hits[k][category].append(found)
            self.hits[k][half].append(found)

    def table(self) -> dict[str, dict[str, float | None]]:
        out: dict[str, dict[str, float | None]] = {}
        for k in KS:
            per = self.hits[k]
            row: dict[str, float | None] = {}
            every = [v for c in CATEGORIES for v in per[c]]
            main = [v for c in CATEGORIES[:4] for v in per[c]]
            row["all"] = _mean(every)
            row["1-4"] = _mean(main)
            for c in CATEGORIES:
                row[c] = _mean(per[c])
            for h in HALVES:
                row[h] = _mean(per[h])
            out[str(k)] = row
        return out


def _mean(values: list[float]) -> float | None:
    return round(100.0 * sum(values) / len(values), 1) if values else None


def parse_evidence(raw: object) -> list[str]:
    """Dialogue ids from LoCoMo's evidence field: lists, "D1:3; D2:5", ranges "D1:3-5",
    stray spaces ("D 1: 3") and lower case; anything else is ignored."""
    items: Iterable[object] = raw if isinstance(raw, list | tuple) else [raw]
    ids: list[str] = []
    for item in items:
        if not isinstance(item, str):
            continue
        for m in _EVIDENCE.finditer(item):
            session, first = int(m.group(1)), int(m.group(2))
            end_session = int(m.group(3)) if m.group(3) else session
            last = int(m.group(4)) if m.group(4) else first
            if end_session != session or last < first or last - first > 200:
                ids.append(f"D{session}:{first}")
                continue
            ids.extend(f"D{session}:{n}" for n in range(first, last + 1))
    return list(dict.fromkeys(ids))


def parse_date(text: object) -> float | None:
    if not isinstance(text, str):
        return None
    cleaned = " ".join(text.split())
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).timestamp()
        except ValueError:
            continue
    return None


def turn_text(turn: dict[str, Any]) -> str:
    text = f"{turn.get('speaker', '?')}: {turn.get('text', '')}".strip()
    caption = turn.get("blip_caption") or turn.get("caption")
    if isinstance(caption, str) and caption.strip():
        text += f" [shares a photo: {caption.strip()}]"
    return text


def load(path: Path) -> list[Conversation]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, dict):
        data = [data]
    conversations = []
    for index, sample in enumerate(data):
        conv = sample.get("conversation", {})
        numbers = sorted(
            int(m.group(1)) for key in conv if (m := re.fullmatch(r"session_(\d+)", key))
        )
        sessions: list[tuple[float | None, list[Turn]]] = []
        known: set[str] = set()
        for n in numbers:
            turns = []
            for turn in conv.get(f"session_{n}") or []:
                if not isinstance(turn, dict) or not turn.get("dia_id"):
                    continue
                [dia_id] = parse_evidence(str(turn["dia_id"]))[:1] or [str(turn["dia_id"])]
                turns.append(Turn(dia_id, n, turn_text(turn)))
                known.add(dia_id)
            sessions.append((parse_date(conv.get(f"session_{n}_date_time")), turns))
        questions, unmatched = [], 0
        for qa in sample.get("qa", []):
            evidence = parse_evidence(qa.get("evidence", []))
            unmatched += sum(1 for e in evidence if e not in known)
            matched = [e for e in evidence if e in known]
            questions.append((str(qa.get("question", "")), str(qa.get("category", "?")), matched))
        conversations.append(
            Conversation(str(sample.get("sample_id", index)), sessions, questions, unmatched)
        )
    return conversations


def session_start(previous: float, date: float | None) -> float:
    """When a session is replayed: at its own date, at least an hour after the last one
    ended (a day after, when it has no date)."""
    return max(previous + 3600.0, date if date is not None else previous + 86400.0)


async def run_conversation(
    conv: Conversation, mode: str, embedder: Embedder, scores: Scores, half: str = HALVES[0],
    ablate: Sequence[str] = (),
) -> tuple[int, int, int, int]:
    """Replay one conversation; returns (evidence kept, evidence total, turns kept, turns)."""
    clock = ManualClock(0.0)
    changes: dict[str, Any] = {} if mode == "timeline" else {"recall_retention_weight": 0.0}
    # Retrieval mode switches forgetting off: retention plays no part in the ranking.
    for name in ablate:
        changes.update(ABLATIONS[name])
    changes.update(OVERRIDES)
    config = NeuramConfig().replace(**changes)
    brain = await Brain.create(path=":memory:", embedder=embedder, clock=clock, config=config)
    try:
        previous = 0.0
        for date, turns in conv.sessions:
            clock.set(session_start(previous, date))
            for turn in turns:
                await brain.perceive(turn.text, metadata={"dia_id": turn.dia_id}, gate=mode == "timeline")
                clock.advance(TURN_GAP_SECONDS)
            if mode == "timeline":
                clock.advance(600.0)  # the agent goes idle; the background cycle runs
                await brain.sleep()
            previous = clock.now()
        if mode == "timeline":
            clock.advance(86400.0)
        stored = {e.metadata.get("dia_id") for e in await brain.list()}
        evidence = {e for _, _, ev in conv.questions for e in ev}
        all_turns = [t.dia_id for _, turns in conv.sessions for t in turns]
        for question, category, ev in conv.questions:
            if not ev or not question.strip():
                scores.skipped += 1
                continue
            started = time.perf_counter()
            results = await brain.recall(question, top_k=max(KS))
            scores.latencies_ms.append(1000 * (time.perf_counter() - started))
            ranked = [str(e.metadata.get("dia_id")) for e, _ in results]
            scores.add(category, set(ev), ranked, half)
        return (len(evidence & stored), len(evidence), len(set(all_turns) & stored), len(set(all_turns)))
    finally:
        await brain.close()


async def run(
    path: Path, mode: str, embedder: Embedder, ablate: Sequence[str] = (), only: range | None = None
) -> dict[str, Any]:
    conversations = load(path)
    scores = Scores()
    kept = {half: [0, 0, 0, 0] for half in HALVES}
    middle = (len(conversations) + 1) // 2
    for index, conv in enumerate(conversations):
        if only is not None and index + 1 not in only:
            continue
        half = HALVES[0] if index < middle else HALVES[1]
        for i, value in enumerate(await run_conversation(conv, mode, embedder, scores, half, ablate)):
            kept[half][i] += value
    both = [sum(counts[i] for counts in kept.values()) for i in range(4)]
    return {
        "mode": mode,
        "ablated": list(ablate),
        "recall": scores.table(),
        "evidence_retained": _percent(both[0], both[1]),
        "store_kept": _percent(both[2], both[3]),
        "halves": {
            half: {"evidence_retained": _percent(c[0], c[1]), "store_kept": _percent(c[2], c[3])}
            for half, c in kept.items()
        },
        "questions": sum(len(scores.hits[KS[0]][c]) for c in CATEGORIES),
        "skipped": scores.skipped,
        "unmatched_evidence_ids": sum(c.unmatched_evidence for c in conversations),
        "recall_p50_ms": round(statistics.median(scores.latencies_ms), 2) if scores.latencies_ms else None,
    }


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def print_table(result: dict[str, Any]) -> None:
    columns = ["all", "1-4", *CATEGORIES, *HALVES]
    ablated = f", without {', '.join(result['ablated'])}" if result.get("ablated") else ""
    print(f"LoCoMo evidence recall, {result['mode']} mode{ablated} ({result['questions']} questions, "
          f"{result['skipped']} skipped, {result['unmatched_evidence_ids']} evidence ids matched no turn)")
    print(f"{'k':>4} " + " ".join(f"{c:>8}" for c in columns))
    for k, row in result["recall"].items():
        cells = " ".join(f"{'-' if row[c] is None else row[c]:>8}" for c in columns)
        print(f"R@{k:<2} {cells}")
    if result["mode"] == "timeline":
        print(f"evidence retained {result['evidence_retained']} %   store kept {result['store_kept']} %")
        for half, part in result["halves"].items():
            if part["evidence_retained"] is not None:
                print(f"  {half}: evidence retained {part['evidence_retained']} %   store kept {part['store_kept']} %")
    print(f"recall p50 {result['recall_p50_ms']} ms per question")


def _span(text: str) -> range:
    match = re.fullmatch(r"(\d+)-(\d+)", text.strip())
    if not match or int(match.group(1)) < 1 or int(match.group(2)) < int(match.group(1)):
        raise argparse.ArgumentTypeError(f"expected FIRST-LAST such as 1-5, got {text!r}")
    return range(int(match.group(1)), int(match.group(2)) + 1)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.locomo", description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="a LoCoMo-format JSON file")
    parser.add_argument("--mode", choices=("retrieval", "timeline"), default="retrieval")
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    parser.add_argument(
        "--ablate", nargs="+", default=[], choices=sorted(ABLATIONS), metavar="NAME",
        help=f"switch mechanisms off: {', '.join(sorted(ABLATIONS))}",
    )
    parser.add_argument(
        "--conversations", metavar="FIRST-LAST", type=_span,
        help="replay only these conversations (1-based, e.g. 1-5: the half constants are chosen on)",
    )
    parser.add_argument("--set", nargs="+", default=[], metavar="NAME=VALUE", help="config constants to try")
    parser.add_argument("--embedder", choices=("minilm", "hashing"), default="minilm", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not args.data.is_file():
        parser.error(f"no such file: {args.data}")
    from neuram_core import HashingEmbedder, SentenceTransformerEmbedder

    embedder: Embedder = HashingEmbedder() if args.embedder == "hashing" else SentenceTransformerEmbedder()
    overrides: dict[str, Any] = {}
    for item in args.set:
        name, _, value = item.partition("=")
        try:
            overrides[name] = int(value) if value.isdigit() else float(value)
            NeuramConfig().replace(**{name: overrides[name]})
        except (TypeError, ValueError) as exc:
            parser.error(f"--set {item}: {exc}")
    OVERRIDES.clear()  # this run's constants only
    OVERRIDES.update(overrides)
    result = asyncio.run(run(args.data, args.mode, embedder, args.ablate, args.conversations))
    print_table(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
