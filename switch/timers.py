"""The switch's timers: what kinds there are, and one timer as it sits in the kernel's heap.

The kernel (switch/kernel.py) keeps the heap and fires due timers through a table from
TimerKind to the handler of the feature that owns the kind (the table is built in
switch/pbx.py, where the features are composed). This module knows no feature and no handler.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class TimerKind(Enum):
    """What a timer is for, and so which feature handles it when it falls due."""

    NoAnswer = "no-answer"  #: an extension rang switch.no_answer_seconds (basic call)
    RingNoAnswer = "ring-no-answer"  #: an agent let an ACD call ring out (ACD queues)
    RouteTimeout = "route-timeout"  #: no route came for a routing point's call (routing)
    TreatmentEnd = "treatment-end"  #: a treatment's duration is over (routing)
    AfterCallWork = "after-call-work"  #: an agent's after-call work is over (ACD queues)


@dataclass(order=True, slots=True)
class Timer:
    """A timer in the heap, ordered by when it is due, then by when it was started. `seq` is
    its identity: a party or agent holds the seq of its current timer, and a timer whose seq
    is no longer held has gone stale and does nothing when it fires."""

    due: float
    seq: int
    kind: TimerKind = field(compare=False)
    #: What the timer is about: (ConnID, DN) for a party's timer, (DN,) for an agent's.
    key: tuple[Any, ...] = field(compare=False)
