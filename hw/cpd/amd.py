"""Answering machine detection: after the answer, is it a live person or a machine?

Two engines with the same per-block interface (`block(...) -> (kind, reason) | None`):

- `GreetingAmd` (ours, amd_method = "ctiemu"): voice activity from each block's 300-2200 Hz
  band level against a tracked noise floor (fast to fall, slow to rise, with hysteresis),
  tones excluded (a tone is not a voice, but a tonal block does not break a voiced stretch
  either). A greeting starts at the first voiced stretch of min_word_ms; it lasts until the
  last voiced block. Syllables are counted as it goes: peaks of
  the voice level, each a rise of syllable_db that comes within syllable_peak_db of the
  greeting's loudest block (consonants stay below), then a fall of syllable_db. HUMAN as soon as
  after_greeting_silence_ms of silence follow a greeting shorter than machine_greeting_ms
  ("hello? ..."), or short_greeting_silence_ms after a greeting shorter than short_greeting_ms
  or of at most short_greeting_syllables syllables;
  MACHINE as soon as the greeting reaches machine_greeting_ms or machine_syllables syllables (a
  recorded message goes on; a person's greeting is a few syllables, whatever the speech rate),
  or when a pure tone of beep_min_ms follows a greeting (the beep). No voice for
  initial_silence_ms -> initial_silence_result; undecided
  after total_analysis_ms -> NOTSURE.
- `AppAmd`: Asterisk app_amd's algorithm with its parameters (amd.conf names): silence is a
  20 ms frame whose mean absolute sample is below silence_threshold; words are voiced runs of
  min_word_length separated by between_words_silence; MACHINE on initial silence, a long
  greeting, too many words or a too long word; HUMAN on after_greeting_silence after the
  greeting; NOTSURE after total_analysis_time.
"""

from __future__ import annotations

from hw.cpd.config import CpdConfig
from hw.cpd.results import CpdKind
from hw.cpd.tones import BLOCK_MS

Decision = tuple[CpdKind, str] | None


class NoiseFloor:
    """A noise floor tracker over block levels (dBFS): follows a falling level within a few
    blocks, rises at most rise_db_per_s."""

    def __init__(self, rise_db_per_s: float) -> None:
        self.level: float | None = None
        self.rise = rise_db_per_s * BLOCK_MS / 1000

    def update(self, level_db: float) -> float:
        floor = self.level
        if floor is None:
            floor = level_db
        elif level_db < floor:
            floor = 0.5 * floor + 0.5 * level_db
        else:
            floor = min(level_db, floor + self.rise)
        self.level = max(floor, -90.0)
        return self.level


class GreetingAmd:
    """Our HUMAN / MACHINE decision from the greeting's shape (see the module docstring)."""

    def __init__(self, config: CpdConfig) -> None:
        self.config = config
        self.in_voice = False
        self.voice_run = 0  # consecutive voiced blocks
        self.onset_ms: int | None = None  # time since answer of the greeting's start
        self.last_voice_ms = 0  # end of the last voiced block
        self.silence_ms = 0  # silence since the last voice (tones excluded)
        self.quiet_ms = 0  # silence since the answer, before any greeting
        # syllables: peaks of the voice level (silence counts at the floor), each a rise of
        # syllable_db from the last dip followed by a fall of syllable_db (hysteresis)
        self.syllables = 0
        self.rising = True
        self.dip = 0.0
        self.peak = 0.0
        self.above_ms = 0  # how long the level has held syllable_db above the dip
        self.loudest = -200.0  # the greeting's loudest envelope level so far

    def voiced(self, level_db: float, floor_db: float, tonal: bool) -> bool:
        c = self.config
        if tonal or level_db < c.vad_min_dbfs:
            self.in_voice = False
            return False
        margin = c.vad_hold_margin_db if self.in_voice else c.vad_margin_db
        self.in_voice = level_db >= floor_db + margin
        return self.in_voice

    def _syllable(self, envelope: float) -> None:
        step = self.config.syllable_db
        self.loudest = max(self.loudest, envelope)
        if self.rising:
            if envelope >= self.dip + step:
                # a rise counts once it has held syllable_min_ms (a consonant burst is one
                # block; a syllable's vowel lasts longer) and come within syllable_peak_db of
                # the greeting's loudest block (a fricative or a plosive's burst rises from
                # the floor, but stays far below the vowels)
                self.above_ms += BLOCK_MS
                if (
                    self.above_ms >= self.config.syllable_min_ms
                    and envelope >= self.loudest - self.config.syllable_peak_db
                ):
                    self.syllables += 1
                    self.rising = False
                    self.peak = envelope
                    self.above_ms = 0
            else:
                self.above_ms = 0
                self.dip = min(self.dip, envelope)
        else:
            self.peak = max(self.peak, envelope)
            if envelope <= self.peak - step:
                self.rising = True
                self.dip = envelope

    def block(
        self, since_answer_ms: int, level_db: float, floor_db: float, tonal: bool
    ) -> Decision:
        """One block; since_answer_ms is the time from the answer to the block's end;
        level_db and floor_db are the block's voice level and its noise floor."""
        c = self.config
        voice = self.voiced(level_db, floor_db, tonal)
        if voice:
            self.voice_run += 1
        elif not tonal:
            # a tonal block neither adds to nor breaks a voiced stretch: a monotone voice's
            # vowel can pass for a tone between its consonants ("What?" in a synthetic voice)
            self.voice_run = 0
        if self.onset_ms is None:
            if self.voice_run * BLOCK_MS >= c.min_word_ms:
                self.onset_ms = since_answer_ms - self.voice_run * BLOCK_MS
                self.last_voice_ms = since_answer_ms
                self.silence_ms = 0
                self.syllables = 0
                self.loudest = -200.0
                self.rising = True
                self.above_ms = 0
                self.dip = min(floor_db, level_db - c.syllable_db - 0.01)
            elif tonal:
                self.quiet_ms = 0  # a tone is not silence (fax, modem, SIT cadences)
                return self._total(since_answer_ms)
            else:
                self.quiet_ms += BLOCK_MS
                if self.quiet_ms >= c.initial_silence_ms:
                    kind = (
                        CpdKind.MACHINE
                        if c.initial_silence_result == "MACHINE"
                        else (CpdKind.SILENCE)
                    )
                    return kind, f"no voice for {self.quiet_ms} ms"
                return self._total(since_answer_ms)
        elif voice:
            self.last_voice_ms = since_answer_ms
            self.silence_ms = 0
        elif not tonal:
            self.silence_ms += BLOCK_MS
        # a tonal block inside the greeting is a steady vowel (it is not voice, nor silence):
        # its level, not the floor, so that it does not split the syllable in two
        self._syllable(level_db if voice or tonal else floor_db)
        greeting = self.last_voice_ms - self.onset_ms
        needed = (
            c.short_greeting_silence_ms
            if greeting < c.short_greeting_ms or self.syllables <= c.short_greeting_syllables
            else c.after_greeting_silence_ms
        )
        if self.silence_ms >= min(needed, c.after_greeting_silence_ms) and (
            greeting < c.human_min_greeting_ms
        ):
            self.onset_ms = None  # a noise, not a greeting: wait for one
            self.quiet_ms += self.silence_ms
            self.silence_ms = 0
            return None
        if greeting >= c.machine_greeting_ms:
            return CpdKind.MACHINE, f"greeting of {greeting} ms"
        if self.syllables >= c.machine_syllables:
            return CpdKind.MACHINE, f"{self.syllables} syllables in {greeting} ms"
        if self.silence_ms >= needed:
            return (
                CpdKind.HUMAN,
                f"greeting of {greeting} ms ({self.syllables} syllables), "
                f"then {self.silence_ms} ms silence",
            )
        return self._total(since_answer_ms)

    def _total(self, since_answer_ms: int) -> Decision:
        if since_answer_ms >= self.config.total_analysis_ms:
            return CpdKind.NOTSURE, f"undecided after {since_answer_ms} ms"
        return None


class AppAmd:
    """Asterisk app_amd's decision loop, frame by frame (20 ms frames)."""

    def __init__(self, config: CpdConfig) -> None:
        self.c = config
        self.in_initial_silence = True
        self.in_greeting = False
        self.voice_ms = 0
        self.silence_ms = 0
        self.consecutive_voice_ms = 0
        self.total_ms = 0
        self.words = 0
        self.in_word = False

    def block(self, mean_abs: float) -> Decision:
        c = self.c
        self.total_ms += BLOCK_MS
        if self.total_ms >= c.app_amd_total_analysis_time:
            return CpdKind.NOTSURE, f"TOOLONG-{self.total_ms}"
        if mean_abs < c.app_amd_silence_threshold:  # ast_dsp_silence: a silent frame
            self.silence_ms = self.silence_ms + BLOCK_MS if not self.in_word_frame else BLOCK_MS
            self.in_word_frame = False
            if self.silence_ms >= c.app_amd_between_words_silence:
                self.in_word = False
                self.consecutive_voice_ms = 0
            if self.in_initial_silence and self.silence_ms >= c.app_amd_initial_silence:
                return CpdKind.MACHINE, f"INITIALSILENCE-{self.silence_ms}"
            if self.in_greeting and self.silence_ms >= c.app_amd_after_greeting_silence:
                return CpdKind.HUMAN, f"HUMAN-{self.silence_ms}"
        else:
            self.in_word_frame = True
            self.consecutive_voice_ms += BLOCK_MS
            self.voice_ms += BLOCK_MS
            if self.consecutive_voice_ms >= c.app_amd_min_word_length and not self.in_word:
                self.words += 1
                self.in_word = True
            if self.consecutive_voice_ms >= c.app_amd_maximum_word_length:
                return CpdKind.MACHINE, f"MAXWORDLENGTH-{self.consecutive_voice_ms}"
            if self.words > c.app_amd_maximum_number_of_words:
                return CpdKind.MACHINE, f"MAXWORDS-{self.words}"
            if self.in_greeting and self.voice_ms >= c.app_amd_greeting:
                return CpdKind.MACHINE, f"LONGGREETING-{self.voice_ms}"
            if self.voice_ms >= c.app_amd_min_word_length:
                self.silence_ms = 0
            if self.consecutive_voice_ms >= c.app_amd_min_word_length and not self.in_greeting:
                self.in_initial_silence = False
                self.in_greeting = True
        return None

    in_word_frame = False
