"""The brain regions, each usable on its own."""

from neuram_core.regions.amygdala import Amygdala
from neuram_core.regions.basal_ganglia import BasalGanglia
from neuram_core.regions.cerebellum import Cerebellum
from neuram_core.regions.hippocampus import Hippocampus
from neuram_core.regions.longterm import LongTermRegion
from neuram_core.regions.neocortex import Neocortex
from neuram_core.regions.prefrontal import PrefrontalCortex
from neuram_core.regions.sensory import SensoryCortex, SensoryTrace
from neuram_core.regions.thalamus import Thalamus

__all__ = [
    "Amygdala",
    "BasalGanglia",
    "Cerebellum",
    "Hippocampus",
    "LongTermRegion",
    "Neocortex",
    "PrefrontalCortex",
    "SensoryCortex",
    "SensoryTrace",
    "Thalamus",
]
