"""Configuration of the call progress detector: every threshold and timing, with defaults.

`CpdConfig()` holds the defaults (docs/cpd.md lists every key); `CpdConfig.app_amd()` is the
profile equivalent to Asterisk's app_amd defaults (its answering machine detection replaces
ours, with app_amd's own parameters). `load_cpd_config(path)` reads a TOML file whose [cpd]
table holds any of the keys below, plus `profile = "default" | "app_amd"` to pick the base.
Times are in milliseconds, levels in dBFS (0 dBFS = a full-scale 16-bit sine), frequencies in Hz.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any


class CpdConfigError(ValueError):
    """A configuration value or file that cannot be used, with a one-line reason."""


@dataclass(frozen=True, slots=True)
class CpdConfig:
    """Every threshold and timing of the detector (see docs/cpd.md for each key)."""

    # -- analysis front end (20 ms blocks of 160 samples)
    tone_min_dbfs: float = -45.0  #: a block quieter than this holds no tone
    tone_min_fraction: float = 0.62  #: share of a block's energy a tone must explain
    # -- precise dual tones (North American precise tone plan), frequency tolerance
    dual_tone_tolerance_hz: float = 15.0
    ringback_min_on_ms: int = 800  #: 440+480 Hz this long -> RINGBACK
    dial_tone_min_ms: int = 1000  #: 350+440 Hz this long -> DIAL_TONE
    busy_on_ms: tuple[int, int] = (380, 660)  #: busy: 0.5 s on ...
    busy_off_ms: tuple[int, int] = (380, 660)  #: ... 0.5 s off
    reorder_on_ms: tuple[int, int] = (180, 340)  #: reorder: 0.25 s on ...
    reorder_off_ms: tuple[int, int] = (180, 340)  #: ... 0.25 s off
    cadence_cycles: int = 1  #: on+off cycles to see before BUSY / REORDER
    # -- special information tones
    sit_tolerance_hz: float = 25.0
    sit_short_ms: tuple[int, int] = (200, 327)  #: a short segment (nominal 274 ms)
    sit_long_ms: tuple[int, int] = (327, 480)  #: a long segment (nominal 380 ms)
    sit_third_min_ms: int = 60  #: 1776.7 Hz this long completes the SIT
    sit_max_gap_ms: int = 60  #: gap allowed between the three segments
    # -- fax and modem
    cng_hz: float = 1100.0
    cng_tolerance_hz: float = 38.0
    cng_on_ms: tuple[int, int] = (400, 700)  #: CNG: 0.5 s on ...
    cng_off_ms: tuple[int, int] = (2500, 3600)  #: ... 3 s off
    cng_cycles: int = 1  #: on+off cycles to see before FAX_CNG
    ced_hz: float = 2100.0
    ced_tolerance_hz: float = 15.0
    ced_min_ms: int = 1500  #: plain 2100 Hz this long -> FAX_CED
    modem_reversal_min_ms: int = 300  #: 2100 Hz before a phase reversal counts
    modem_reversal_degrees: float = 120.0  #: phase jump that is a reversal
    modem_am_window_ms: int = 400  #: window for the 15 Hz amplitude modulation
    modem_am_depth: float = 0.07  #: relative amplitude spread that is ANSam
    # -- answering machine detection (after answer)
    amd_method: str = "ctiemu"  #: "ctiemu" (ours) or "app_amd" (Asterisk's algorithm)
    vad_margin_db: float = 9.0  #: voice: this far above the tracked noise floor ...
    vad_hold_margin_db: float = 6.0  #: ... and stays voice down to this margin
    vad_min_dbfs: float = -52.0  #: never voice below this level
    noise_floor_rise_db_per_s: float = 1.0  #: how fast the noise floor may rise
    min_word_ms: int = 80  #: voice shorter than this is a click
    human_min_greeting_ms: int = 120  #: a "greeting" shorter than this was a noise
    initial_silence_ms: int = 3500  #: no voice this long after answer -> initial_silence_result
    initial_silence_result: str = "SILENCE"  #: "SILENCE" or "MACHINE"
    after_greeting_silence_ms: int = 600  #: silence after a short greeting -> HUMAN
    short_greeting_ms: int = 600  #: a greeting shorter than this ("Hello?") ...
    short_greeting_syllables: int = 2  #: ... as is one of at most this many syllables
    short_greeting_silence_ms: int = 400  #: ... is HUMAN after this much silence
    machine_greeting_ms: int = 2500  #: a greeting (onset to last voice) this long -> MACHINE
    dual_tone_not_voice_ms: int = 60  #: a dual tone held this long is a tone, not a voice
    syllable_db: float = 10.0  #: rise and fall of the voice level that delimit a syllable
    machine_syllables: int = 8  #: this many syllables in the greeting -> MACHINE
    syllable_min_ms: int = 20  #: a rise of syllable_db counts once held this long
    syllable_peak_db: float = 25.0  #: ... and once within this of the greeting's loudest block
    total_analysis_ms: int = 5000  #: undecided this long after answer -> NOTSURE
    beep_min_hz: float = 350.0
    beep_max_hz: float = 2050.0
    beep_min_ms: int = 100  #: a pure tone after a greeting, this long ...
    beep_max_ms: int = 1600  #: ... and at most this long, is the end-of-greeting beep
    beep_max_glide_hz: float = 15.0  #: ... whose frequency moves at most this much
    beep_quiet_before_ms: int = 100  #: ... when no voice comes this long before it or during
    beep_listen_ms: int = 30000  #: how long after answer to listen for the beep
    # -- app_amd parameters (used when amd_method = "app_amd"), Asterisk amd.conf names
    app_amd_initial_silence: int = 2500
    app_amd_greeting: int = 1500
    app_amd_after_greeting_silence: int = 800
    app_amd_total_analysis_time: int = 5000
    app_amd_min_word_length: int = 100
    app_amd_between_words_silence: int = 50
    app_amd_maximum_number_of_words: int = 2
    app_amd_silence_threshold: int = 256
    app_amd_maximum_word_length: int = 5000
    # -- before answer
    no_answer_ms: int = 30000  #: not answered this long after the start -> NO_ANSWER

    def __post_init__(self) -> None:
        if self.amd_method not in ("ctiemu", "app_amd"):
            raise CpdConfigError(f"amd_method: {self.amd_method!r} is not 'ctiemu' or 'app_amd'")
        if self.initial_silence_result not in ("SILENCE", "MACHINE"):
            raise CpdConfigError(
                f"initial_silence_result: {self.initial_silence_result!r} "
                "is not 'SILENCE' or 'MACHINE'"
            )
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, tuple) and not (len(value) == 2 and 0 <= value[0] <= value[1]):
                raise CpdConfigError(f"{f.name}: expected [low, high] with 0 <= low <= high")
            if (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and value < 0
                and not f.name.endswith("dbfs")
            ):
                raise CpdConfigError(f"{f.name}: must not be negative")
        if not 0 < self.tone_min_fraction <= 1:
            raise CpdConfigError("tone_min_fraction: must be in (0, 1]")

    @classmethod
    def app_amd(cls) -> CpdConfig:
        """The profile equivalent to Asterisk app_amd's defaults: app_amd's algorithm and
        parameters decide HUMAN / MACHINE (initial silence -> MACHINE, NOTSURE after 5 s)."""
        return cls(amd_method="app_amd", initial_silence_result="MACHINE")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


PROFILES = {"default": CpdConfig, "app_amd": CpdConfig.app_amd}


def config_from_table(table: dict[str, Any], where: str = "cpd") -> CpdConfig:
    """A CpdConfig from a [cpd] table's keys (`profile` picks the base)."""
    table = dict(table)
    profile = table.pop("profile", "default")
    if profile not in PROFILES:
        raise CpdConfigError(f"{where}.profile: {profile!r} is not one of {sorted(PROFILES)}")
    base = PROFILES[profile]()
    kinds = {f.name: type(getattr(base, f.name)) for f in fields(base)}
    changes: dict[str, Any] = {}
    for key, raw in table.items():
        value = raw
        if key not in kinds:
            raise CpdConfigError(f"{where}: unknown key {key!r}")
        kind = kinds[key]
        if kind is tuple:
            if not (
                isinstance(value, list)
                and len(value) == 2
                and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            ):
                raise CpdConfigError(f"{where}.{key}: expected [low, high] in milliseconds")
            value = tuple(value)
        elif kind is float:
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise CpdConfigError(f"{where}.{key}: expected a number")
            value = float(value)
        elif kind is int:
            if not isinstance(value, int) or isinstance(value, bool):
                raise CpdConfigError(f"{where}.{key}: expected an integer")
        elif not isinstance(value, kind):
            raise CpdConfigError(f"{where}.{key}: expected a {kind.__name__}")
        changes[key] = value
    try:
        return replace(base, **changes)
    except CpdConfigError as exc:
        raise CpdConfigError(f"{where}.{exc}") from None


def load_cpd_config(path: str | Path) -> CpdConfig:
    """Read the [cpd] table of a TOML file."""
    try:
        document = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise CpdConfigError(f"{path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CpdConfigError(f"{path}: not valid TOML ({exc})") from None
    table = document.get("cpd")
    if not isinstance(table, dict):
        raise CpdConfigError(f"{path}: no [cpd] table")
    return config_from_table(table)
