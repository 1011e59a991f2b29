"""The LoCoMo harness on small hand-made data (the real data set is not in the repo)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.locomo import load, main, parse_date, parse_evidence


@pytest.mark.parametrize(
    ("raw", "ids"),
    [
        (["D1:3"], ["D1:3"]),
        (["D1:3", "D2:5"], ["D1:3", "D2:5"]),
        ("D1:3; D2:5", ["D1:3", "D2:5"]),
        (["D1:3, D1:4"], ["D1:3", "D1:4"]),
        (["D 1: 3 "], ["D1:3"]),
        (["d4:2"], ["D4:2"]),
        (["D1:3-5"], ["D1:3", "D1:4", "D1:5"]),
        (["D1:3-D1:4"], ["D1:3", "D1:4"]),
        (["D1:5-3"], ["D1:5"]),  # a backwards range keeps its start
        (["D1:3", "D1:3"], ["D1:3"]),
        (["nonsense", 7, None], []),
        ([], []),
    ],
)
def test_parse_evidence(raw: object, ids: list[str]) -> None:
    assert parse_evidence(raw) == ids


def test_parse_date() -> None:
    assert parse_date("1:56 pm on 8 May, 2023") == parse_date("1:56  pm on 8 May, 2023")
    assert parse_date("1:56 pm on 8 May, 2023") is not None
    assert parse_date("yesterday-ish") is None


def sample() -> list[dict[str, object]]:
    return [
        {
            "sample_id": "toy",
            "conversation": {
                "speaker_a": "Ann",
                "speaker_b": "Ben",
                "session_1_date_time": "10:00 am on 1 March, 2023",
                "session_1": [
                    {"speaker": "Ann", "dia_id": "D1:1", "text": "Hi Ben! How are you?"},
                    {"speaker": "Ben", "dia_id": "D1:2", "text": "I adopted a greyhound called Pixel last week"},
                    {"speaker": "Ann", "dia_id": "D1:3", "text": "Lovely. I started pottery classes in Leeds",
                     "blip_caption": "a photo of a clay bowl"},
                ],
                "session_2_date_time": "9:00 pm on 20 April, 2023",
                "session_2": [
                    {"speaker": "Ben", "dia_id": "D2:1", "text": "thanks, bye!"},
                    {"speaker": "Ben", "dia_id": "D2:2", "text": "Pixel won a race at the dog track on Sunday"},
                ],
            },
            "qa": [
                {"question": "What is the name of Ben's greyhound?", "evidence": ["D1:2"], "category": 1},
                {"question": "Where does Ann take pottery classes?", "evidence": ["D1:3"], "category": 4},
                {"question": "What did Pixel win?", "evidence": "D2:2; D9:9", "category": 2},
                {"question": "What did Ann eat?", "evidence": ["D7:1"], "category": 5},
            ],
        }
    ]


def test_load_counts_unmatched_evidence_and_keeps_captions(tmp_path: Path) -> None:
    path = tmp_path / "toy.json"
    path.write_text(json.dumps(sample()))
    [conv] = load(path)
    assert conv.unmatched_evidence == 2
    assert [q[2] for q in conv.questions] == [["D1:2"], ["D1:3"], ["D2:2"], []]
    assert conv.sessions[0][1][2].text.endswith("[shares a photo: a photo of a clay bowl]")


@pytest.mark.parametrize("mode", ["retrieval", "timeline"])
def test_both_modes_run_and_write_json(tmp_path: Path, mode: str, capsys: pytest.CaptureFixture[str]) -> None:
    path, out = tmp_path / "toy.json", tmp_path / "out.json"
    path.write_text(json.dumps(sample()))
    assert main(["--data", str(path), "--mode", mode, "--json", str(out), "--embedder", "hashing"]) == 0
    result = json.loads(out.read_text())
    assert set(result) >= {"mode", "recall", "evidence_retained", "store_kept", "questions", "skipped"}
    assert result["questions"] == 3 and result["skipped"] == 1
    assert set(result["recall"]) == {"5", "10", "25"}
    assert set(result["recall"]["5"]) == {"all", "1-4", "1", "2", "3", "4", "5", "conv1-5", "conv6-10"}
    assert result["recall"]["5"]["conv1-5"] == result["recall"]["5"]["all"]  # one conversation: the first half
    assert result["recall"]["5"]["conv6-10"] is None
    assert result["recall"]["25"]["all"] == 100.0  # five turns: everything stored is in the top 25
    if mode == "timeline":
        assert result["evidence_retained"] == 100.0
        assert result["store_kept"] == 60.0  # the two phatic turns were filtered out
        assert result["halves"] == {  # one conversation: all of it is the first half
            "conv1-5": {"evidence_retained": 100.0, "store_kept": 60.0},
            "conv6-10": {"evidence_retained": None, "store_kept": None},
        }
    assert "R@10" in capsys.readouterr().out


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--data", str(tmp_path / "absent.json")])
    assert exc.value.code == 2


def test_halves_ablations_and_a_span_of_conversations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two conversations: the first is half one, the second half two; --conversations 2-2
    replays only the second; --ablate names what it switched off."""
    path, out = tmp_path / "two.json", tmp_path / "out.json"
    first = sample()[0]
    second = json.loads(json.dumps(first).replace("Pixel", "Comet"))
    second["sample_id"] = "toy2"
    path.write_text(json.dumps([first, second]))
    argv = ["--data", str(path), "--json", str(out), "--embedder", "hashing"]
    assert main(argv) == 0
    both = json.loads(out.read_text())
    assert both["questions"] == 6
    assert both["recall"]["5"]["conv1-5"] is not None and both["recall"]["5"]["conv6-10"] is not None
    assert main([*argv, "--conversations", "2-2", "--ablate", "lexical", "spread"]) == 0
    only = json.loads(out.read_text())
    assert only["questions"] == 3 and only["ablated"] == ["lexical", "spread"]
    assert only["recall"]["5"]["conv1-5"] is None
    assert "without lexical, spread" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main([*argv, "--conversations", "3-1"])
    with pytest.raises(SystemExit):
        main([*argv, "--ablate", "everything"])


def test_the_ablation_figure_is_drawn_from_the_runs(tmp_path: Path) -> None:
    from benchmarks.plots import recall_ablation

    path = tmp_path / "toy.json"
    path.write_text(json.dumps(sample()))
    results = tmp_path / "runs"
    results.mkdir()
    common = ["--data", str(path), "--embedder", "hashing", "--mode", "retrieval"]
    assert main([*common, "--json", str(results / "retrieval.json")]) == 0
    assert main([*common, "--ablate", "lexical", "--json", str(results / "retrieval-no-lexical.json")]) == 0
    assert list(recall_ablation.runs(results, "retrieval")) == ["every mechanism", "without lexical"]
    figure = recall_ablation.main([str(results), "--out", str(tmp_path / "img")])
    assert figure.read_bytes().startswith(b"\x89PNG")
    with pytest.raises(SystemExit):
        recall_ablation.main([str(tmp_path / "img"), "--out", str(tmp_path)])


@pytest.mark.parametrize("item", ["nonsense=1", "lexical_weight=abc", "lexical_weight=-1"])
def test_a_bad_set_is_a_clear_error(tmp_path: Path, item: str) -> None:
    path = tmp_path / "toy.json"
    path.write_text(json.dumps(sample()))
    with pytest.raises(SystemExit) as exc:
        main(["--data", str(path), "--embedder", "hashing", "--set", item])
    assert exc.value.code == 2


def test_every_ablation_is_a_valid_config_that_switches_its_mechanism_off() -> None:
    from benchmarks.locomo import ABLATIONS
    from neuram_core import NeuramConfig
    from neuram_core.dynamics import trace_factor

    default = NeuramConfig()
    for name, changes in ABLATIONS.items():
        ablated = default.replace(**changes)  # valid
        if name != "floor":  # the floor is off by default already
            assert any(getattr(ablated, k) != getattr(default, k) for k in changes), name
    untagged = default.replace(**ABLATIONS["tagging"])
    assert trace_factor(0.0, untagged) == trace_factor(0.95, untagged) == 1.0
