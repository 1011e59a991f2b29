"""The brain regions, each usable on its own.

``LONG_TERM_REGIONS`` is the one list of long-term systems: a Brain makes one of each, sleep
hands every engram to the one whose ``memory_types`` hold its type, and the CLI names
them. A new long-term region is one module plus one entry here.
"""

from neuram_core.engram import MemoryType
from neuram_core.regions.amygdala import Amygdala
from neuram_core.regions.basal_ganglia import BasalGanglia
from neuram_core.regions.cerebellum import Cerebellum
from neuram_core.regions.hippocampus import Activation, Cue, Hippocampus
from neuram_core.regions.longterm import LongTermRegion
from neuram_core.regions.neocortex import Neocortex
from neuram_core.regions.prefrontal import PrefrontalCortex
from neuram_core.regions.sensory import SensoryCortex, SensoryTrace
from neuram_core.regions.thalamus import Thalamus

LONG_TERM_REGIONS: tuple[type[LongTermRegion], ...] = (Neocortex, Cerebellum, BasalGanglia)

__all__ = [
    "LONG_TERM_REGIONS",
    "Activation",
    "Amygdala",
    "BasalGanglia",
    "Cerebellum",
    "Cue",
    "Hippocampus",
    "LongTermRegion",
    "Neocortex",
    "PrefrontalCortex",
    "SensoryCortex",
    "SensoryTrace",
    "Thalamus",
    "region_class_for",
]


def region_class_for(memory_type: MemoryType) -> type[LongTermRegion]:
    """The long-term system that keeps memories of ``memory_type``."""
    for region in LONG_TERM_REGIONS:
        if memory_type in region.memory_types:
            return region
    raise ValueError(f"no long-term region holds {memory_type.value} memories")
