"""The real all-MiniLM-L6-v2 model, the seed's quick start, and the built wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from neuram_core.embeddings import MODEL_ENV_VAR, SentenceTransformerEmbedder, resolve_model_path
from neuram_core.errors import ModelUnavailableError

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def test_model_resolution_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert resolve_model_path("some/model") == "some/model"
    assert resolve_model_path(tmp_path) == str(tmp_path)
    monkeypatch.setenv(MODEL_ENV_VAR, "from/env")
    assert resolve_model_path() == "from/env"
    monkeypatch.delenv(MODEL_ENV_VAR)
    bundled = resolve_model_path()
    assert bundled.endswith("model") and Path(bundled, "modules.json").exists()


def test_minilm_embeds_offline_and_ranks_meaning() -> None:
    embedder = SentenceTransformerEmbedder()
    vectors = embedder.embed(["Paris is the capital of France", "capital city Europe", "I like cheese"])
    assert vectors.shape == (3, 384) and embedder.dimension == 384
    assert float(vectors[0] @ vectors[1]) > float(vectors[2] @ vectors[1])


@pytest.mark.parametrize("name", ["nosuch-model", "/no/such/folder"])
def test_a_model_that_cannot_be_loaded_is_named(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not the hub's 60-line traceback: one error naming the model and why (offline, so
    no request leaves the machine)."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelUnavailableError, match="HF_HUB_OFFLINE") as caught:
        SentenceTransformerEmbedder(name).embed(["I keep bees"])
    assert caught.value.model == name and repr(name) in str(caught.value)
    assert isinstance(caught.value, RuntimeError) and isinstance(caught.value.__cause__, OSError)


def test_a_folder_without_a_model_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    (tmp_path / "config.json").write_text('{"model_type": "bert"}')
    with pytest.raises(ModelUnavailableError, match="the folder holds no model sentence-transformers can read"):
        SentenceTransformerEmbedder(str(tmp_path)).embed(["I keep bees"])


def test_seed_quick_start_runs_on_the_embedded_store(tmp_path: Path) -> None:
    env = {**os.environ, "NEURAM_PATH": str(tmp_path / "memory.db"), "HF_HUB_OFFLINE": "1"}
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=300,
    ).stdout.splitlines()
    assert out[0].endswith("[semantic]  Paris is the capital of France")
    assert "Working memory: 4 / 7 slots" in out
    assert "'consolidated': 4" in out[-1]


def test_wheel_builds_and_installs_without_extras(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("neuram-*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    # Only what neuram_core needs at import time; no extras, no torch.
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True)
    subprocess.run([python, "-m", "pip", "install", "-q", "numpy", "orjson", "tqdm", "PyStemmer"], check=True)
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in ("neuram", "neuram_core", "neuram_langchain", "neuram_llamaindex"):
        assert f"{package}/__init__.py" in names and f"{package}/py.typed" in names
    code = (
        "import sys, neuram; from neuram import Brain, MemoryType, compute_retention, "
        "time_until_forgotten, Hippocampus; print('torch' in sys.modules)"
    )
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert out.stdout.strip() == "False"
