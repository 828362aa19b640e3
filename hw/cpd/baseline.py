"""The baseline for benchmarks/cpd.py: an energy/cadence call progress detector with Asterisk
app_amd's defaults, as a CPD without frequency analysis would do it.

Before the answer it sees only energy (a 20 ms frame is sound when its mean absolute sample
reaches app_amd's silence_threshold, 256) and judges cadences: on/off runs of 0.5/0.5 s are
BUSY, 0.25/0.25 s REORDER, an on run of 1.5-2.5 s RINGBACK; it cannot tell SIT, fax or modem
tones (no frequencies). After the answer, app_amd's algorithm (hw.cpd.amd.AppAmd) decides.
Same interface as CallProgressDetector: answered(at), feed(data, encoding, t), finish().
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from hw.cpd.amd import AppAmd
from hw.cpd.config import CpdConfig
from hw.cpd.detector import decode
from hw.cpd.results import CpdKind, CpdResult
from hw.cpd.tones import BLOCK, BLOCK_MS, BLOCK_S


class EnergyCadenceDetector:
    """Energy/cadence tones before the answer, app_amd after it."""

    def __init__(self, config: CpdConfig | None = None) -> None:
        self.config = config or CpdConfig.app_amd()
        self.amd = AppAmd(self.config)
        self.answer_time: float | None = None
        self.start: float | None = None
        self.pending = np.zeros(0)
        self.blocks = 0
        self.on = False
        self.run = 0  # blocks in the current on/off run
        self.last_on = 0  # length of the last completed on run (blocks)
        self.results: list[CpdResult] = []
        self.final: CpdResult | None = None

    def answered(self, at: float) -> None:
        if self.answer_time is None:
            self.answer_time = at

    @property
    def outcome(self) -> CpdResult | None:
        if self.final is not None:
            return self.final
        return self.results[-1] if self.results else None

    def finish(self, t: float | None = None) -> list[CpdResult]:
        return []

    def _add(self, kind: CpdKind, k: int, detail: str, out: list[CpdResult]) -> None:
        assert self.start is not None
        if kind is CpdKind.RINGBACK and any(r.kind is kind for r in self.results):
            return
        result = CpdResult(kind, round(self.start + k * BLOCK_S, 6), detail)
        self.results.append(result)
        out.append(result)
        if kind.final:
            self.final = result

    def feed(
        self, data: bytes | npt.NDArray[np.int16], encoding: str = "slin16", t: float | None = None
    ) -> list[CpdResult]:
        samples = decode(data, encoding).astype(np.float64)
        if self.start is None:
            self.start = 0.0 if t is None else t
        out: list[CpdResult] = []
        if self.final is not None:
            return out
        buffer = np.concatenate((self.pending, samples))
        whole = len(buffer) // BLOCK * BLOCK
        self.pending = buffer[whole:]
        levels = np.abs(buffer[:whole].reshape(-1, BLOCK)).mean(axis=1).tolist()
        c = self.config
        for level in levels:
            k = self.blocks = self.blocks + 1
            end = self.start + k * BLOCK_S
            if self.answer_time is not None and end > self.answer_time:
                decision = self.amd.block(level)
                if decision is not None:
                    self._add(decision[0], k, decision[1], out)
                    break
                continue
            on = level >= c.app_amd_silence_threshold
            if on == self.on:
                self.run += 1
            else:
                if self.on:
                    self.last_on = self.run
                else:
                    self._cadence(self.last_on, self.run, k, out)
                self.on, self.run = on, 1
            if self.on and 1500 <= self.run * BLOCK_MS <= 2500 and self.run * BLOCK_MS == 1500:
                self._add(CpdKind.RINGBACK, k, "", out)
            if not self.answer_time and k * BLOCK_MS >= c.no_answer_ms:
                self._add(CpdKind.NO_ANSWER, k, "", out)
            if self.final is not None:
                break
        return out

    def _cadence(self, on_blocks: int, off_blocks: int, k: int, out: list[CpdResult]) -> None:
        on, off = on_blocks * BLOCK_MS, off_blocks * BLOCK_MS
        if 400 <= on <= 600 and 400 <= off <= 600:
            self._add(CpdKind.BUSY, k, "", out)
        elif 180 <= on <= 320 and 180 <= off <= 320:
            self._add(CpdKind.REORDER, k, "", out)
