"""Call progress detection in software: what a CPD board does, from 8 kHz audio.

hw.cpd.detector.CallProgressDetector is the streaming, sans-IO detector; hw.cpd.results maps its
results onto T-Library CallState values, OCS call results and the switch's trunk reports;
hw.cpd.config holds every threshold (docs/cpd.md).
"""

from hw.cpd.config import CpdConfig, CpdConfigError, load_cpd_config
from hw.cpd.detector import CallProgressDetector
from hw.cpd.results import CpdKind, CpdResult, OcsCallResult, call_state, ocs_call_result

__all__ = [
    "CallProgressDetector",
    "CpdConfig",
    "CpdConfigError",
    "CpdKind",
    "CpdResult",
    "OcsCallResult",
    "call_state",
    "load_cpd_config",
    "ocs_call_result",
]
