"""The approximate index: same answers as exact search on clustered vectors, kept true
through adds, re-encodes, swap-deletes and clears, and set aside when filters keep few."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from neuram_core import Cue, Engram, Hippocampus, ManualClock, MemoryType, NeuramConfig
from neuram_core.approximate import ApproximateIndex, code_count, list_count, measured_recall, probe_count

DIM = 32
N = 3000
T0 = 1_700_000_000.0


def clustered(n: int, seed: int = 1) -> np.ndarray:
    """Unit vectors around 60 centres (cosine ≈ 0.8 to their centre), as embeddings cluster."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(60, DIM))
    vectors = centres[rng.integers(0, 60, n)] + 0.5 * rng.normal(size=(n, DIM))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def note(i: int, vector: np.ndarray, **fields: Any) -> Engram:
    """Engram ``e{i:05d}``: a note on one of 50 topics, of the i-th type, perceived 10 s apart."""
    return Engram(
        content=f"note {i} about topic {i % 50}",
        memory_type=list(MemoryType)[i % 4],
        salience=0.5,
        embedding=vector,
        engram_id=f"e{i:05d}",
        encoded_at=T0 + 10 * i,
        last_accessed=T0 + 10 * i,
        **fields,
    )


def index_of(vectors: np.ndarray, threshold: int = 1000, probes: int = 96) -> Hippocampus:
    config = NeuramConfig(approximate_min_engrams=threshold, approximate_probes=probes)
    hippocampus = Hippocampus(embeds=False, clock=ManualClock(T0 + 10 * len(vectors)), config=config)
    hippocampus.encode_many([note(i, v) for i, v in enumerate(vectors)], pending=False)
    return hippocampus


def exact_twin(hippocampus: Hippocampus) -> NeuramConfig:
    return hippocampus.config.replace(approximate_min_engrams=0)


def ids(found: list[tuple[Engram, float]]) -> list[str]:
    return [e.engram_id for e, _ in found]


def test_list_count_is_the_power_of_two_nearest_three_root_n_capped() -> None:
    assert list_count(1) == 1  # 3·√1 = 3 → 2^2, but never more lists than vectors
    assert list_count(3) == 3
    assert list_count(1000) == 128  # 3·√1000 ≈ 94.9 → 2^round(6.57) = 2^7
    assert list_count(100_000) == 1024  # ≈ 948.7 → 2^10
    assert list_count(200_000) == 1024  # ≈ 1341.6 → 2^10
    assert list_count(1_000_000) == 1024  # ≈ 3000 → 2^12, capped at 1,024
    with pytest.raises(ValueError, match="at least one vector"):
        list_count(0)


def test_probe_count_scales_with_the_root_of_the_lists() -> None:
    assert probe_count(1024, 64) == 64
    assert probe_count(2048, 64) == 91  # 64 × √2 = 90.5
    assert probe_count(128, 6) == 2  # 6 × √(1/8) = 2.12
    assert probe_count(128, 1) == 1  # at least one
    assert probe_count(16, 64) == 8  # 64 × √(16/1024)
    assert probe_count(16, 1000) == 16  # at most every cluster


def test_below_the_threshold_every_row_is_compared() -> None:
    hippocampus = index_of(clustered(500), threshold=1000)
    assert hippocampus.approximate_index() is None


def test_approximate_recall_returns_what_exact_recall_returns() -> None:
    vectors = clustered(N)
    hippocampus = index_of(vectors)
    assert hippocampus.approximate_index() is not None
    queries = clustered(40, seed=2)
    approx_config, exact_config = hippocampus.config, exact_twin(hippocampus)
    same = 0
    for i, q in enumerate(queries):
        cue = Cue(f"topic {i}", q)
        approx = hippocampus.complete(cue, 10)
        hippocampus.config = exact_config
        exact = hippocampus.complete(cue, 10)
        hippocampus.config = approx_config
        same += len(set(ids(approx)) & set(ids(exact)))
        if ids(approx)[:1] == ids(exact)[:1]:  # a shared top result scores the same
            assert approx[0][1] == pytest.approx(exact[0][1], rel=0.05)
    assert same / (10 * len(queries)) >= 0.95


def test_nearest_matches_exact_cosines() -> None:
    vectors = clustered(N)
    hippocampus = index_of(vectors)
    q = clustered(1, seed=3)[0]
    exact = np.argsort(-(vectors @ q))[:5]
    found = hippocampus.nearest(q, 5)
    assert [e.engram_id for e, _ in found][:3] == [f"e{r:05d}" for r in exact[:3]]
    for e, cosine in found:
        assert cosine == pytest.approx(float(vectors[int(e.engram_id[1:])] @ q), abs=1e-5)


def test_a_forgotten_engram_never_comes_back_and_a_moved_one_is_still_found() -> None:
    vectors = clustered(N)
    hippocampus = index_of(vectors)
    assert hippocampus.approximate_index() is not None
    gone = "e00042"
    last = f"e{N - 1:05d}"  # swap-deleted into the freed row
    hippocampus.remove(gone)
    assert all(e.engram_id != gone for e, _ in hippocampus.nearest(vectors[42], 20))
    assert all(e.engram_id != gone for e, _ in hippocampus.complete(vectors[42], 20))
    assert hippocampus.nearest(vectors[N - 1], 1)[0][0].engram_id == last
    assert len(hippocampus.approximate_index() or []) == N - 1


def test_a_re_encoded_engram_is_found_by_its_new_vector() -> None:
    vectors = clustered(N)
    hippocampus = index_of(vectors)
    assert hippocampus.approximate_index() is not None
    moved = hippocampus.get("e00007")
    assert moved is not None
    target = vectors[1234]
    moved.embedding = target.copy()
    hippocampus.encode(moved)
    top = ids(hippocampus.nearest(target, 2))
    assert set(top) == {"e00007", "e01234"}
    assert len(hippocampus.approximate_index() or []) == N


def test_new_engrams_are_searchable_at_once_and_a_doubled_index_is_rebuilt() -> None:
    vectors = clustered(2 * N + 10)
    hippocampus = index_of(vectors[:N])
    first = hippocampus.approximate_index()
    assert first is not None and first.trained_size == N
    more = Engram(
        content="fresh",
        memory_type=MemoryType.EPISODIC,
        salience=0.5,
        embedding=vectors[N],
        engram_id="fresh",
        encoded_at=T0,
        last_accessed=T0,
    )
    hippocampus.encode(more)
    assert hippocampus.nearest(vectors[N], 1)[0][0].engram_id == "fresh"
    for i in range(N + 1, 2 * N + 10):
        hippocampus.encode(
            Engram(
                content=f"n{i}", memory_type=MemoryType.EPISODIC, salience=0.5, embedding=vectors[i], engram_id=f"n{i}"
            )
        )
    rebuilt = hippocampus.approximate_index()
    assert rebuilt is not first and rebuilt is not None and rebuilt.trained_size == 2 * N + 10


def counting_exact_matches(hippocampus: Hippocampus, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A counter of the cues that compared every row."""
    calls: list[int] = []
    every_row = hippocampus._match_exactly

    def counted(*args: Any) -> Any:
        calls.append(1)
        return every_row(*args)

    monkeypatch.setattr(hippocampus, "_match_exactly", counted)
    return calls


def test_a_selective_filter_compares_every_row_it_allows_and_no_other(monkeypatch: pytest.MonkeyPatch) -> None:
    vectors = clustered(N)
    hippocampus = index_of(vectors)
    every_row = counting_exact_matches(hippocampus, monkeypatch)
    q = clustered(1, seed=4)[0]
    exact_config = exact_twin(hippocampus)
    for cue in (q, Cue("topic 7", q)):
        approx = hippocampus.complete(cue, 10, memory_type=MemoryType.PROCEDURAL, since=T0 + 10 * 2900)
        assert not every_row  # 25 procedural engrams in the window: those 25 compared, not 3,000
        hippocampus.config = exact_config
        exact = hippocampus.complete(cue, 10, memory_type=MemoryType.PROCEDURAL, since=T0 + 10 * 2900)
        hippocampus.config = exact_twin(hippocampus).replace(approximate_min_engrams=1000)
        every_row.clear()
        assert ids(approx) == ids(exact)
        assert len(approx) == 10
        assert all(e.memory_type is MemoryType.PROCEDURAL for e, _ in approx)


def test_a_filter_keeping_a_share_of_the_rows_asks_the_index_for_more(monkeypatch: pytest.MonkeyPatch) -> None:
    """A third of the rows in the window: the first candidates hold too few of them, and
    the index is asked again for three times as many rather than every row compared."""
    vectors = clustered(N)
    hippocampus = index_of(vectors)
    every_row = counting_exact_matches(hippocampus, monkeypatch)
    approx_config, exact_config = hippocampus.config, exact_twin(hippocampus)
    since = T0 + 10 * 2000
    same = 0
    for i, q in enumerate(clustered(40, seed=6)):
        cue = Cue(f"topic {i}", q)
        approx = hippocampus.complete(cue, 10, since=since)
        assert not every_row
        hippocampus.config = exact_config
        exact = hippocampus.complete(cue, 10, since=since)
        hippocampus.config = approx_config
        every_row.clear()
        assert all(e.encoded_at >= since for e, _ in approx) and len(approx) == 10
        same += len(set(ids(approx)) & set(ids(exact)))
    assert same / 400 >= 0.95


def test_expired_engrams_stay_hidden() -> None:
    vectors = clustered(N)
    hippocampus = index_of(vectors)
    hidden = hippocampus.get("e00100")
    assert hidden is not None
    hidden.expires_at = T0
    hippocampus.refresh(hidden)
    assert all(e.engram_id != "e00100" for e, _ in hippocampus.complete(vectors[100], 10))


def test_clear_drops_the_index() -> None:
    hippocampus = index_of(clustered(N))
    assert hippocampus.approximate_index() is not None
    hippocampus.clear()
    assert hippocampus.approximate_index() is None and len(hippocampus) == 0


def test_vectors_that_do_not_cluster_keep_exact_search_until_they_double() -> None:
    rng = np.random.default_rng(5)
    noise = rng.normal(size=(2 * N + 1, DIM)).astype(np.float32)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    hippocampus = index_of(noise[:N], probes=6)  # 2 of 128 clusters: random cues miss most neighbours
    assert hippocampus.approximate_index() is None
    q = noise[7]
    exact = np.argsort(-(noise[:N] @ q))[:10]
    assert ids(hippocampus.nearest(q, 10)) == [f"e{r:05d}" for r in exact]
    for i in range(N, 2 * N + 1):  # doubled: tried again (and still unfit)
        hippocampus.encode(
            Engram(
                content=f"n{i}", memory_type=MemoryType.EPISODIC, salience=0.5, embedding=noise[i], engram_id=f"n{i}"
            )
        )
    assert hippocampus.approximate_index() is None
    clustered_index = index_of(clustered(N), probes=6)
    built = clustered_index.approximate_index()
    assert built is not None
    assert measured_recall(built, clustered(N), 128) >= 0.9


def test_measured_recall_of_a_full_probe_is_perfect() -> None:
    vectors = clustered(500)
    index, quality = ApproximateIndex.build(vectors, probes=10_000)
    assert index is not None and quality == 1.0
    assert measured_recall(index, vectors, 128) == 1.0


def test_an_index_of_one_vector_answers_with_it() -> None:
    vector = clustered(1)
    index, _ = ApproximateIndex.build(vector, probes=8)
    assert index is not None and index.search(vector[0], 5).tolist() == [0]


def test_an_unfit_index_stops_at_its_training_sample() -> None:
    rng = np.random.default_rng(8)
    noise = rng.normal(size=(20_000, DIM)).astype(np.float32)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    index, quality = ApproximateIndex.build(noise, probes=8, min_recall=0.9)  # 512 lists: 16,384 trained and checked
    assert index is None and quality < 0.9
    fit, fit_quality = ApproximateIndex.build(clustered(20_000), probes=8, min_recall=0.9)
    assert fit is not None and fit_quality >= 0.9 and len(fit) == 20_000  # the sample, then the rest


@pytest.mark.parametrize(
    ("field", "value", "error", "message"),
    [
        ("approximate_candidates", 12.5, TypeError, "approximate_candidates must be a whole number"),
        ("approximate_probes", 0, ValueError, "approximate_probes must be finite and > 0"),
        ("approximate_min_engrams", -1, ValueError, "approximate_min_engrams must be finite and >= 0"),
    ],
)
def test_the_approximate_constants_refuse_what_faiss_cannot_take(
    field: str, value: float, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        NeuramConfig(**{field: value})  # type: ignore[arg-type]


def test_code_count_is_one_code_per_four_dimensions_or_the_nearest_divisor() -> None:
    assert code_count(384) == 96
    assert code_count(32) == 8
    assert code_count(30) == 6  # 7 does not divide 30
    assert code_count(3) == 1


def test_a_search_returns_eight_times_the_candidates_asked_for_re_ranking() -> None:
    vectors = clustered(N)
    index, _ = ApproximateIndex.build(vectors, probes=96)
    assert index is not None
    found = index.search(vectors[5], 50)
    assert len(found) == 400 and len(set(found.tolist())) == 400
    assert 5 in found.tolist()


def test_removed_rows_are_dropped_from_the_lists_once_they_are_a_third() -> None:
    vectors = clustered(N)
    index, _ = ApproximateIndex.build(vectors, probes=96)
    assert index is not None
    gone = list(range(999))  # 999 of 3,000: just under a third
    for row in gone:
        index.remove(row)
    assert len(index) == N - 999 and index.listed == N  # marked dead, still in the lists
    assert not set(index.search(vectors[8], 64).tolist()) & set(gone)
    index.remove(N - 1)  # the thousandth: a third of the entries, dropped in one pass
    assert len(index) == N - 1000 and index.listed == N - 1000
    assert not set(index.search(vectors[8], 64).tolist()) & {*gone, N - 1}
    assert 1500 in index.search(vectors[1500], 5).tolist()


def test_a_swap_delete_moves_the_slot_and_keeps_nothing_of_the_removed_row() -> None:
    vectors = clustered(N)
    index, _ = ApproximateIndex.build(vectors, probes=96)
    assert index is not None
    index.move(N - 1, 10)  # row 10 removed, the last row moved into it
    found = index.search(vectors[N - 1], 10).tolist()
    assert 10 in found and N - 1 not in found  # row 10 answers with the moved vector's codes
    assert len(index) == N - 1 and index.listed == N


def test_an_index_whose_slots_ran_out_is_rebuilt() -> None:
    vectors = clustered(N)
    hippocampus = index_of(vectors)
    first = hippocampus.approximate_index()
    assert first is not None
    for round_ in range(4):  # every engram re-encoded four times: 12,000 more slots than rows
        engrams = [hippocampus.get(f"e{i:05d}") for i in range(N)]
        for engram in engrams:
            assert engram is not None
            engram.embedding = vectors[(int(engram.engram_id[1:]) + round_) % N].copy()
        hippocampus.encode_many([e for e in engrams if e is not None])
    assert first.exhausted
    rebuilt = hippocampus.approximate_index()
    assert rebuilt is not first and rebuilt is not None and not rebuilt.exhausted and len(rebuilt) == N
