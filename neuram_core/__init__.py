"""neuram_core: memory for AI agents that works the way a brain's does.

Framework-agnostic engine; imports no framework, no redis client and no torch at import
time (the Redis store and the sentence-transformers model load on first use).
"""

from neuram_core.activation import spread_activation
from neuram_core.brain import Brain
from neuram_core.clock import ManualClock, SystemClock
from neuram_core.config import NeuramConfig
from neuram_core.dynamics import (
    apply_recall,
    apply_reward,
    compute_retention,
    encoding_stability,
    forget_at,
    ltp_boost,
    ltp_stability,
    recall_score,
    retention,
    retrieval_effort,
    reward_factor,
    salience_boost,
    time_until_forgotten,
)
from neuram_core.embeddings import BaseEmbedder, HashingEmbedder, SentenceTransformerEmbedder
from neuram_core.engram import Engram, MemoryType
from neuram_core.errors import (
    ChangeLogTrimmedError,
    EmbedderMismatchError,
    ModelUnavailableError,
    NeuramError,
    StoreUnavailableError,
    UnknownEngramError,
)
from neuram_core.explain import Explanation
from neuram_core.regions import (
    Activation,
    Amygdala,
    BasalGanglia,
    Cerebellum,
    Cue,
    Hippocampus,
    Neocortex,
    PrefrontalCortex,
    SensoryCortex,
    Thalamus,
)
from neuram_core.routing import classify_memory_type
from neuram_core.sleep import SleepCycle
from neuram_core.stores.registry import open_store, register_store
from neuram_core.stores.sqlite import SQLiteStore
from neuram_core.sync import SyncBrain
from neuram_core.types import Change, Clock, Embedder, LongTermStore

__version__ = "0.2.0"

__all__ = [
    "Activation",
    "Amygdala",
    "BasalGanglia",
    "BaseEmbedder",
    "Brain",
    "Cerebellum",
    "Change",
    "ChangeLogTrimmedError",
    "Clock",
    "Cue",
    "Embedder",
    "EmbedderMismatchError",
    "Engram",
    "Explanation",
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
]
