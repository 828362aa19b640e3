"""Tone analysis for call progress: the per-block front end and the tone state machines.

Front end (`Analyzer`): the audio is cut into 20 ms blocks of 160 samples; each block is
multiplied by one precomputed matrix whose columns are
  - orthonormal cos/sin pairs on a 20 Hz grid from 300 to 2200 Hz (single tones: the share of
    the block's energy the best grid frequency explains, and its frequency refined by
    parabolic interpolation),
  - orthonormal bases of the subspaces spanned by the dual tones of the precise tone plan
    (350+440 dial, 440+480 ringback, 480+620 busy/reorder), each frequency at -tol, 0, +tol
    (the share of the energy each dual tone explains),
  - cos and sin at exactly 2100 Hz (the complex amplitude of the answer tone; 2100 Hz makes a
    whole number of cycles in 160 samples, so its phase is continuous from block to block).
One matrix product per batch of blocks gives everything; the rest is a little arithmetic.

Each block gets a label (silence/other sound, a dual tone, or a single tone classified by its
frequency), and `ToneDetector` runs the cadence and sequence state machines on the label runs:
ringback, dial tone, busy vs reorder by on/off durations, SIT as three segments (frequency and
short/long duration of the first two give the kind), fax CNG by cadence, and 2100 Hz as fax
CED (plain) or modem answer tone (phase reversals: ANS/, or 15 Hz amplitude modulation: ANSam).
"""

from __future__ import annotations

import cmath
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hw.cpd.config import CpdConfig
from hw.cpd.results import CpdKind, CpdResult

RATE = 8000
BLOCK = 160
BLOCK_MS = 20
BLOCK_S = BLOCK / RATE
FULL_SCALE_POWER = 32768.0**2 / 2  # mean square of a full-scale sine: 0 dBFS

# block labels
NONE, DIAL, RING, BUSY, SIT1L, SIT1H, SIT2L, SIT2H, SIT3, CNG, CED, OTHER = range(12)
LABEL_NAMES = [
    "none",
    "dial",
    "ring",
    "busy",
    "sit1-913.8",
    "sit1-985.2",
    "sit2-1370.6",
    "sit2-1428.5",
    "sit3-1776.7",
    "cng",
    "ced",
    "other",
]
SINGLE_TONES = frozenset((SIT1L, SIT1H, SIT2L, SIT2H, SIT3, CNG, CED, OTHER))

SIT_FREQUENCIES = {SIT1L: 913.8, SIT1H: 985.2, SIT2L: 1370.6, SIT2H: 1428.5, SIT3: 1776.7}
DUAL_TONES = ((DIAL, (350.0, 440.0)), (RING, (440.0, 480.0)), (BUSY, (480.0, 620.0)))

#: SIT kind by (tone 1, short/long, tone 2, short/long); any other combination is "unknown"
SIT_KINDS = {
    (SIT1L, "short", SIT2L, "short"): "operator intercept",
    (SIT1H, "long", SIT2L, "short"): "vacant",
    (SIT1L, "short", SIT2H, "long"): "reorder",
    (SIT1H, "long", SIT2H, "long"): "no circuit",
}

DUAL_COMPONENT_MIN = 0.15  # share of the energy each component of a dual tone must have
GRID = np.arange(300.0, 2200.0 + 1, 20.0)
FloatArray = npt.NDArray[np.float64]


def _basis(frequencies: list[float]) -> FloatArray:
    """An orthonormal basis (160 x k) of the span of cos/sin at the given frequencies."""
    n = np.arange(BLOCK)
    columns = []
    for f in frequencies:
        w = 2 * math.pi * f / RATE
        columns += [np.cos(w * n), np.sin(w * n)]
    u, s, _ = np.linalg.svd(np.array(columns).T, full_matrices=False)
    result: FloatArray = u[:, s > s[0] * 1e-4]
    return result


@dataclass(frozen=True, slots=True)
class BlockFeatures:
    """The per-block figures, as plain Python lists (one entry per block)."""

    level_db: list[float]  #: block level in dBFS
    voice_db: list[float]  #: level of the block's first difference (low frequencies cut)
    band_db: list[float]  #: level in the 300-2200 Hz band (the frequency grid's energy)
    mean_abs: list[float]  #: mean absolute sample (app_amd's silence measure)
    label: list[int]  #: block label (NONE, DIAL, ..., OTHER)
    freq: list[float]  #: frequency of the best single tone (Hz)
    ced: list[complex]  #: complex amplitude at 2100 Hz


class Analyzer:
    """The front end: blocks of samples -> BlockFeatures."""

    def __init__(self, config: CpdConfig) -> None:
        self.config = config
        grid_columns = [_basis([f]) for f in GRID]
        tol = config.dual_tone_tolerance_hz
        dual = [_basis([f + d for f in pair for d in (-tol, 0.0, tol)]) for _, pair in DUAL_TONES]
        n = np.arange(BLOCK)
        w = 2 * math.pi * config.ced_hz / RATE
        ced = np.array([np.cos(w * n), np.sin(w * n)]).T * (2.0 / BLOCK)
        self.matrix = np.ascontiguousarray(np.hstack([*grid_columns, *dual, ced]))
        self.n_grid = len(GRID)
        starts = [2 * self.n_grid]
        for d in dual:
            starts.append(starts[-1] + d.shape[1])
        self.dual_starts = np.array(starts[:-1])
        self.dual_end = starts[-1]
        self.dual_labels = [label for label, _ in DUAL_TONES]
        # the grid frequencies nearest each dual tone's two components: both must be present
        self.components = np.array(
            [int(np.abs(GRID - f).argmin()) for _, pair in DUAL_TONES for f in pair]
        )
        self.min_power = FULL_SCALE_POWER * 10 ** (config.tone_min_dbfs / 10) * BLOCK
        # single-tone frequency ranges -> labels
        ranges: list[tuple[float, float, int]] = [
            (f - config.sit_tolerance_hz, f + config.sit_tolerance_hz, label)
            for label, f in SIT_FREQUENCIES.items()
        ]
        ranges.append(
            (
                config.cng_hz - config.cng_tolerance_hz - 10,
                config.cng_hz + config.cng_tolerance_hz + 10,
                CNG,
            )
        )
        ranges.append(
            (
                config.ced_hz - config.ced_tolerance_hz - 10,
                config.ced_hz + config.ced_tolerance_hz + 10,
                CED,
            )
        )
        self.ranges = ranges

    def single_label(self, freq: float) -> int:
        for low, high, label in self.ranges:
            if low <= freq <= high:
                return label
        return OTHER

    def analyse(self, blocks: FloatArray) -> BlockFeatures:
        """Features of each row of `blocks` (shape (k, 160), float64)."""
        y = blocks @ self.matrix
        energy = np.einsum("ij,ij->i", blocks, blocks) + 1e-9
        squares = y[:, : self.dual_end] ** 2
        grid = squares[:, : 2 * self.n_grid].reshape(len(blocks), self.n_grid, 2).sum(axis=2)
        dual = np.add.reduceat(squares, self.dual_starts, axis=1)
        components = grid[:, self.components].reshape(len(blocks), len(DUAL_TONES), 2)
        dual *= components.min(axis=2) >= DUAL_COMPONENT_MIN * energy[:, None]
        best = grid.argmax(axis=1)
        rows = np.arange(len(blocks))
        best_fraction = grid[rows, best] / energy
        dual_best = dual.argmax(axis=1)
        dual_fraction = dual[rows, dual_best] / energy
        # parabolic interpolation on amplitudes around the best grid frequency
        inner = np.clip(best, 1, self.n_grid - 2)
        a = np.sqrt(grid[rows, inner - 1])
        b = np.sqrt(grid[rows, inner])
        c = np.sqrt(grid[rows, inner + 1])
        denominator = a - 2 * b + c
        offset = np.where(
            denominator < 0, 0.5 * (a - c) / np.where(denominator < 0, denominator, -1), 0
        )
        freq = GRID[inner] + 20.0 * np.clip(offset, -1, 1)
        level_db = 10 * np.log10(energy / (BLOCK * FULL_SCALE_POWER))
        difference = blocks[:, 2:] - blocks[:, :-2]  # zeros at 0 and 4 kHz
        voice_db = 10 * np.log10(
            (np.einsum("ij,ij->i", difference, difference) + 1e-9)
            / (2 * (BLOCK - 2) * FULL_SCALE_POWER)
        )
        # the grid's projections measure the 300-2200 Hz band, where speech is and most of
        # white, pink or brown noise is not (the answering machine detector's voice level)
        band_db = 10 * np.log10((grid.sum(axis=1) + 1e-9) / (BLOCK * FULL_SCALE_POWER))
        mean_abs = np.abs(blocks).mean(axis=1)
        ced = y[:, -2] - 1j * y[:, -1]
        threshold = self.config.tone_min_fraction
        labels: list[int] = []
        loud_list = (energy >= self.min_power).tolist()
        for loud, fs, fd, db, f in zip(
            loud_list,
            best_fraction.tolist(),
            dual_fraction.tolist(),
            dual_best.tolist(),
            freq.tolist(),
            strict=True,
        ):
            if not loud:
                labels.append(NONE)
            elif fd >= threshold and fd > fs:
                labels.append(self.dual_labels[db])
            elif fs >= threshold:
                labels.append(self.single_label(f))
            else:
                labels.append(NONE)
        return BlockFeatures(
            level_db.tolist(),
            voice_db.tolist(),
            band_db.tolist(),
            mean_abs.tolist(),
            labels,
            freq.tolist(),
            ced.tolist(),
        )


def _ms(blocks: int) -> int:
    return blocks * BLOCK_MS


def _within(value: int, bounds: tuple[int, int]) -> bool:
    return bounds[0] <= value <= bounds[1]


@dataclass(slots=True)
class Run:
    """A run of blocks with the same tone label (single-block gaps bridged)."""

    label: int
    start: int  #: first block
    end: int  #: last block with the label
    freq_sum: float = 0.0
    count: int = 0
    freq_low: float = float("inf")  #: the lowest and highest block frequency of the run
    freq_high: float = float("-inf")

    @property
    def blocks(self) -> int:
        return self.end - self.start + 1

    @property
    def freq(self) -> float:
        return self.freq_sum / max(self.count, 1)

    def duration_ms(self) -> int:
        """Estimated tone duration: the partial blocks at both ends add about one block."""
        return _ms(self.blocks + 1)


class ToneDetector:
    """Tone state machines over the block labels. `block(...)` is called for every block in
    order; it returns the results decided at that block."""

    def __init__(self, config: CpdConfig, time_of: object = None) -> None:
        self.config = config
        self.run: Run | None = None
        self.gap = 0  # blocks without the current run's label since its last block
        self.history: list[Run] = []  # ended runs, most recent last (a few kept)
        self.reported: set[CpdKind] = set()
        self.busy_cycles: list[tuple[int, int]] = []  # matching (on, off) cycles
        self.cadence_kind: CpdKind | None = None
        self.cadence_count = 0
        self.cng_count = 0
        # 2100 Hz tracking
        self.ced_amplitudes: list[float] = []
        self.ced_phases: list[tuple[int, complex]] = []
        self.ced_drift: complex | None = None
        self.ced_reversals = 0
        self.ced_last_reversal = -1000
        self.ended_run: Run | None = None  # the run that ended at the last block, if any

    # -- run tracking

    def block(self, k: int, label: int, freq: float, ced: complex) -> list[CpdResult]:
        """Feed block number k; returns (kind, detail) decisions as results with time 0 (the
        caller stamps the time)."""
        out: list[CpdResult] = []
        self.ended_run = None
        run = self.run
        if run is not None and label == run.label:
            run.end = k
            run.freq_sum += freq
            run.count += 1
            run.freq_low = min(run.freq_low, freq)
            run.freq_high = max(run.freq_high, freq)
            if self.gap:
                self.gap = 0
            self._continue(run, k, ced, out)
        elif run is not None and label == NONE and self.gap == 0:
            self.gap = 1  # maybe a glitch: bridge one block
        else:
            if run is not None:
                self._end(run, out)
            self.gap = 0
            self.run = None
            if label != NONE:
                self.run = Run(label, k, k, freq, 1, freq, freq)
                self._start(self.run, k)
                self._continue(self.run, k, ced, out)
        return out

    def finish(self) -> list[CpdResult]:
        out: list[CpdResult] = []
        if self.run is not None:
            self._end(self.run, out)
            self.run = None
        return out

    def _result(self, kind: CpdKind, detail: str, out: list[CpdResult]) -> None:
        out.append(CpdResult(kind, 0.0, detail))

    def _start(self, run: Run, k: int) -> None:
        if run.label == CED:
            self.ced_amplitudes = []
            self.ced_phases = []
            self.ced_drift = None
            self.ced_reversals = 0
            self.ced_last_reversal = -1000

    def _end(self, run: Run, out: list[CpdResult]) -> None:
        self.ended_run = run
        self.history.append(run)
        if len(self.history) > 8:
            del self.history[0]

    def _previous(self, label_set: frozenset[int] | set[int], before: Run) -> Run | None:
        """The last ended run before `before` if its label is in label_set and the gap
        between them is within the SIT gap allowance."""
        if not self.history:
            return None
        prev = self.history[-1] if self.history[-1] is not before else None
        if prev is None and len(self.history) > 1:
            prev = self.history[-2]
        if prev is None or prev.label not in label_set:
            return None
        if _ms(before.start - prev.end - 1) > self.config.sit_max_gap_ms:
            return None
        return prev

    def _continue(self, run: Run, k: int, ced: complex, out: list[CpdResult]) -> None:
        c = self.config
        label = run.label
        n = run.blocks
        if label == RING:
            if _ms(n) >= c.ringback_min_on_ms and CpdKind.RINGBACK not in self.reported:
                self.reported.add(CpdKind.RINGBACK)
                self._result(CpdKind.RINGBACK, "", out)
        elif label == DIAL:
            if _ms(n) >= c.dial_tone_min_ms and CpdKind.DIAL_TONE not in self.reported:
                self.reported.add(CpdKind.DIAL_TONE)
                self._result(CpdKind.DIAL_TONE, "", out)
        elif label == BUSY:
            if n == 2:
                self._busy_cycle(run, out)
        elif label == SIT3:
            if _ms(n) >= c.sit_third_min_ms and n * BLOCK_MS - BLOCK_MS < c.sit_third_min_ms:
                self._sit(run, out)
        elif label == CNG:
            if n == 2:
                self._cng_cycle(run, out)
        elif label == CED:
            self._ced(run, k, ced, out)

    # -- busy / reorder

    def _busy_cycle(self, run: Run, out: list[CpdResult]) -> None:
        c = self.config
        prev = next((r for r in reversed(self.history) if r.label == BUSY), None)
        if prev is None or prev.start == 0:
            return
        on = prev.duration_ms()
        off = _ms(run.start - prev.end - 1) - BLOCK_MS
        if _within(on, c.busy_on_ms) and _within(off, c.busy_off_ms):
            kind = CpdKind.BUSY
        elif _within(on, c.reorder_on_ms) and _within(off, c.reorder_off_ms):
            kind = CpdKind.REORDER
        else:
            self.cadence_kind, self.cadence_count = None, 0
            return
        if kind is self.cadence_kind:
            self.cadence_count += 1
        else:
            self.cadence_kind, self.cadence_count = kind, 1
        if self.cadence_count >= c.cadence_cycles:
            self._result(kind, "", out)

    # -- SIT

    def _sit(self, third: Run, out: list[CpdResult]) -> None:
        c = self.config
        second = self._previous({SIT2L, SIT2H}, third)
        if second is None:
            return
        index = self.history.index(second)
        first = self.history[index - 1] if index > 0 else None
        if first is None or first.label not in (SIT1L, SIT1H):
            return
        if _ms(second.start - first.end - 1) > c.sit_max_gap_ms:
            return
        lengths = []
        for segment in (first, second):
            ms = segment.duration_ms()
            if _within(ms, c.sit_short_ms):
                lengths.append("short")
            elif _within(ms, c.sit_long_ms):
                lengths.append("long")
            else:
                return
        key = (first.label, lengths[0], second.label, lengths[1])
        self._result(CpdKind.SIT, SIT_KINDS.get(key, "unknown"), out)

    # -- fax CNG

    def _cng_cycle(self, run: Run, out: list[CpdResult]) -> None:
        c = self.config
        prev = next((r for r in reversed(self.history) if r.label == CNG), None)
        if prev is None or prev.start == 0:
            return
        on = prev.duration_ms()
        off = _ms(run.start - prev.end - 1) - BLOCK_MS
        if _within(on, c.cng_on_ms) and _within(off, c.cng_off_ms):
            self.cng_count += 1
            if self.cng_count >= c.cng_cycles:
                self._result(CpdKind.FAX_CNG, "", out)
        else:
            self.cng_count = 0

    # -- 2100 Hz: CED or modem answer tone

    def _ced(self, run: Run, k: int, ced: complex, out: list[CpdResult]) -> None:
        c = self.config
        amplitude = abs(ced)
        self.ced_amplitudes.append(amplitude)
        phases = self.ced_phases
        phases.append((k, ced / amplitude if amplitude > 0 else 1 + 0j))
        if len(phases) >= 2:
            k1, p1 = phases[-2]
            if len(phases) >= 3 and self.ced_drift is not None:
                # phase change since the entry >= 2 blocks back, less the drift of a
                # frequency offset over those blocks
                k0, p0 = phases[-3]
                jump = phases[-1][1] * p0.conjugate() * (self.ced_drift ** (k - k0)).conjugate()
                degrees = abs(math.degrees(cmath.phase(jump)))
                if (
                    degrees >= c.modem_reversal_degrees
                    and _ms(run.blocks) >= c.modem_reversal_min_ms
                    and k - self.ced_last_reversal > 10
                ):
                    self.ced_reversals += 1
                    self.ced_last_reversal = k
                    self._result(CpdKind.MODEM, "ANS/ (phase reversals)", out)
                    return
            if k1 == k - 1 and k - self.ced_last_reversal > 3:
                step = phases[-1][1] * p1.conjugate()
                drift = self.ced_drift
                new = step if drift is None else (drift * 0.7 + step * 0.3)
                self.ced_drift = new / (abs(new) or 1.0)
        window = max(2, c.modem_am_window_ms // BLOCK_MS)
        if len(self.ced_amplitudes) >= window + 2:
            recent = self.ced_amplitudes[-window:]
            mean = sum(recent) / window
            spread = math.sqrt(sum((a - mean) ** 2 for a in recent) / window) / (mean or 1.0)
            if spread >= c.modem_am_depth:
                self._result(CpdKind.MODEM, "ANSam (amplitude modulated)", out)
                return
        if _ms(run.blocks) >= c.ced_min_ms:
            self._result(CpdKind.FAX_CED, "", out)
