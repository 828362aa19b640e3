"""A labelled call progress corpus, built from nothing, seeded: espeak-ng speech, tones made
with numpy within the reference tables' tolerances, noise, G.711 round trips.

Never committed as audio: `build_corpus(split, ...)` writes WAV files and an index under a
cache directory (the temp dir by default) and returns the `Item`s. Three splits with disjoint
seeds, voices and texts: "train" (what the detector was tuned on, used by the tests),
"heldout" (what benchmarks/cpd.py scores) and "flite" (humans, machines and announcements
spoken by another engine, CMU Flite, with its own voices, prosody and texts: benchmarks/cpd.py
scores it too, to show the detector on a generator it was never tuned on). Every file varies
voice, speed, pitch, word gaps, level (-30..-6 dBFS), noise (white, pink or brown at 30, 20
or 12 dB SNR), and half of the files go through a mu-law (a few A-law) round trip, some of them
stored as G.711 WAV files. sox runs without dither, so a split is the same bytes every build.

Classes and their expected outcome (CpdKind name):
  ringback RINGBACK, busy BUSY, reorder REORDER, sit_<kind> SIT (detail: the kind),
  fax_cng FAX_CNG, fax_ced FAX_CED, modem_ans MODEM (phase reversals), modem_ansam MODEM
  (15 Hz AM), no_answer NO_ANSWER, dead_air SILENCE, human HUMAN, machine MACHINE (BEEP too
  when it has a beep), announcement MACHINE (a carrier announcement without SIT).
Requires espeak-ng (flite for the "flite" split) and sox (RuntimeError if missing: the tests
fail, they do not skip).
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from hw.cpd.g711 import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode

RATE = 8000
VERSION = 8  # bump when generation changes (invalidates caches)
FloatArray = npt.NDArray[np.float64]

EXPECTED = {
    "ringback": "RINGBACK",
    "busy": "BUSY",
    "reorder": "REORDER",
    "sit_intercept": "SIT",
    "sit_vacant": "SIT",
    "sit_reorder": "SIT",
    "sit_nocircuit": "SIT",
    "sit_unknown": "SIT",
    "fax_cng": "FAX_CNG",
    "fax_ced": "FAX_CED",
    "modem_ans": "MODEM",
    "modem_ansam": "MODEM",
    "no_answer": "NO_ANSWER",
    "dead_air": "SILENCE",
    "human": "HUMAN",
    "machine": "MACHINE",
    "announcement": "MACHINE",
}
SIT_DETAIL = {
    "sit_intercept": "operator intercept",
    "sit_vacant": "vacant",
    "sit_reorder": "reorder",
    "sit_nocircuit": "no circuit",
    "sit_unknown": "unknown",
}
# (tone 1 Hz, seconds, tone 2 Hz, seconds) per SIT kind; "unknown" uses other combinations
SIT_SEGMENTS = {
    "sit_intercept": (913.8, 0.274, 1370.6, 0.274),
    "sit_vacant": (985.2, 0.380, 1370.6, 0.274),
    "sit_reorder": (913.8, 0.274, 1428.5, 0.380),
    "sit_nocircuit": (985.2, 0.380, 1428.5, 0.380),
}
SIT_UNKNOWN = [
    (985.2, 0.274, 1370.6, 0.380),
    (913.8, 0.380, 1428.5, 0.274),
    (985.2, 0.274, 1428.5, 0.274),
    (913.8, 0.380, 1370.6, 0.380),
]

#: the text-to-speech engine of each split
ENGINES = {"train": "espeak-ng", "heldout": "espeak-ng", "flite": "flite"}
VOICES = {
    "train": ["en-us", "en", "en-gb-x-rp", "en-029", "fr", "de"],
    "heldout": ["en-gb-scotland", "en-us-nyc", "en-gb-x-gbclan", "es", "it", "nl", "en-gb"],
    "flite": ["kal", "kal16", "awb", "rms", "slt"],
}
VARIANTS = {
    "train": ["m1", "m3", "m5", "f1", "f3", "f5", "klatt", "john"],
    "heldout": ["m2", "m4", "m6", "m7", "f2", "f4", "Annie", "klatt3", "edward", "grandma"],
}
HUMAN_TEXTS = {
    "train": [
        "Hello?",
        "Hi, this is Sam.",
        "Yes?",
        "Hello, who's calling?",
        "Hello.",
        "Yeah, hello?",
        "Hi there.",
        "Good morning.",
        "Speaking.",
        "Hello, Mark speaking.",
        "Hey.",
        "Who is this?",
        "Hello, Johnson's.",
        "Yes, hi.",
        # longer greetings (a family or business name), spoken slowly they last two
        # seconds: the decision must not call them machines
        "Hello, Miller household.",
        "Hi, Dave Jones speaking.",
    ],
    "heldout": [
        "Hello?",
        "Hi.",
        "Yes, hello?",
        "Hello, this is Anna.",
        "Hi, who is it?",
        "Good afternoon.",
        "Hallo?",
        "Yep?",
        "Hello, Smith residence.",
        "Hi, it's Joe.",
        "Uh, hello?",
        "This is Kate.",
        "Morning!",
        "Go ahead.",
    ],
    "flite": [
        "Hello?",
        "Hi, it's Robert.",
        "Yeah?",
        "Hello, Carter speaking.",
        "Good evening.",
        "Hello, who is this?",
        "Hiya.",
        "Yes, hello.",
        "Hello, Brown residence.",
        "Hi, Tom here.",
        "Morning, this is Jane.",
        "Hello, can I help you?",
        "What?",
        "Hey, what's up?",
    ],
}
HUMAN_SECOND = {
    "train": ["Hello?", "Anyone there?", "Hello? Hello?", "Hi?"],
    "heldout": ["Who is this?", "Can you hear me?", "Hello?", "Is someone there?"],
    "flite": ["Hello?", "Are you there?", "Who's calling?", "Hello? Anybody?"],
}
MACHINE_TEXTS = {
    "train": [
        "Hi, you've reached John and Mary.",
        "Hello, you have reached the voicemail of Peter Jones.",
        "Thank you for calling Acme Plumbing.",
        "Hi, this is Sarah, I can't come to the phone right now.",
        "Please leave your name, number and a short message after the tone.",
        "We'll call you back as soon as possible.",
        "Our office hours are nine to five, Monday to Friday.",
        "Have a great day.",
        "Sorry we missed your call.",
        "If this is urgent, please call my mobile instead.",
        "Nobody is available to take your call at the moment.",
        "Leave a message and I will get back to you.",
    ],
    "heldout": [
        "Hey, it's Mike, leave a message.",
        "You have reached the Garcia family.",
        "We are not home right now, but your call is important to us.",
        "The subscriber you are trying to reach is unavailable.",
        "Please record your message when you hear the beep.",
        "Thanks, and talk to you soon.",
        "Welcome to Bright Dental, our office is currently closed.",
        "To leave a message for the front desk, stay on the line.",
        "I'm away from my desk until Monday.",
        "Hi, you've got Lisa, I'll call you back.",
        "This mailbox belongs to Doctor Patel.",
        "Press one to skip this greeting.",
    ],
    "flite": [
        "Hi, you've reached Tom and Linda, we can't get to the phone.",
        "Please leave a message after the beep.",
        "You've reached the office of Doctor Green.",
        "Hello, this is Paul, I'm not available right now.",
        "Your call has been forwarded to an automated voice messaging system.",
        "Thanks for calling, we'll get back to you shortly.",
        "At the tone, please record your message.",
        "Sorry I missed you, leave your number and I'll call back.",
        "Our business hours are eight to six.",
        "If you know your party's extension, you may dial it at any time.",
    ],
}
ANNOUNCEMENTS = {
    "train": [
        "The number you have dialed is not in service. Please check the number and dial again.",
        "We're sorry, your call cannot be completed as dialed.",
        "All circuits are busy now. Please try your call again later.",
    ],
    "heldout": [
        "The number you have reached has been disconnected or is no longer in service.",
        "We are sorry, the number you have called is not available from your calling area.",
        "Your call cannot be completed at this time. Please hang up and try again.",
    ],
    "flite": [
        "The number you have dialed has been changed. Please consult your directory.",
        "This number is temporarily out of service.",
        "The party you are calling is not accepting calls at this time.",
    ],
}


@dataclass
class Item:
    """One labelled file."""

    path: str
    label: str  #: the class (EXPECTED's keys)
    expected: str  #: expected outcome (CpdKind name)
    detail: str = ""  #: expected SIT kind
    answer_at: float | None = None  #: when signalling says the call was answered
    beep_end: float | None = None  #: end of the beep, when there is one
    sit_onset: float | None = None  #: start of the SIT, when there is one
    snr_db: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)


def require_tools(split: str = "train") -> None:
    """A split needs its speech engine and sox: RuntimeError when one is missing."""
    missing = [tool for tool in (ENGINES[split], "sox") if shutil.which(tool) is None]
    if missing:
        raise RuntimeError(
            f"{' and '.join(missing)} not installed: the CPD corpus is built with espeak-ng, "
            "flite and sox (scripts/test.sh installs them)"
        )


#: a speaker: (voice, speed, pitch, gap) for espeak-ng (words/min, 0-99, 10 ms units);
#: (voice, duration stretch in %, mean F0 in Hz, 0) for flite
Voice = tuple[str, int, int, int]


def speak_flite(text: str, voice: str, stretch: int, f0: int) -> FloatArray:
    """CMU Flite speech (voice, duration stretch in %, mean F0 in Hz), made telephone-like by
    sox as espeak-ng's is."""
    with tempfile.TemporaryDirectory(prefix="ctiemu-flite-") as tmp:
        out = Path(tmp) / "speech.wav"
        subprocess.run(
            [
                "flite",
                "-voice",
                voice,
                "--setf",
                f"duration_stretch={stretch / 100}",
                "--setf",
                f"int_f0_target_mean={f0}",
                "-t",
                text,
                "-o",
                str(out),
            ],
            capture_output=True,
            check=True,
        )
        return telephone(out.read_bytes())


def speak(text: str, voice: str, speed: int, pitch: int, gap: int) -> FloatArray:
    """espeak-ng speech resampled to 8 kHz and band-limited to the telephone band by sox."""
    espeak = subprocess.run(
        [
            "espeak-ng",
            "-v",
            voice,
            "-s",
            str(speed),
            "-p",
            str(pitch),
            "-g",
            str(gap),
            "--stdout",
            text,
        ],
        capture_output=True,
        check=True,
    )
    return telephone(espeak.stdout)


def telephone(wav: bytes) -> FloatArray:
    """A WAV file's speech resampled to 8 kHz, band-limited to 250-3400 Hz by sox, leading and
    trailing silence trimmed."""
    sox = subprocess.run(
        [
            "sox",
            "-D",  # no dither: sox's is random, and the corpus must be the same every build
            "-t",
            "wav",
            "-",
            "-t",
            "raw",
            "-r",
            "8000",
            "-e",
            "signed",
            "-b",
            "16",
            "-c",
            "1",
            "-",
            "highpass",
            "250",
            "lowpass",
            "3400",
        ],
        input=wav,
        capture_output=True,
        check=True,
    )
    samples = np.frombuffer(sox.stdout, dtype="<i2").astype(np.float64)
    # trim espeak's leading/trailing silence
    loud = np.flatnonzero(np.abs(samples) > 0.02 * (np.abs(samples).max() + 1))
    if len(loud):
        samples = samples[loud[0] : loud[-1] + 1]
    return samples


def tone(freqs: Sequence[float], seconds: float, rng: np.random.Generator) -> FloatArray:
    """Sum of sines at unit total RMS, random phases."""
    n = round(seconds * RATE)
    t = np.arange(n) / RATE
    out = np.zeros(n)
    for f in freqs:
        out += np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
    return out / math.sqrt(len(freqs) / 2)


def silence(seconds: float) -> FloatArray:
    return np.zeros(round(seconds * RATE))


def noise(n: int, kind: str, rng: np.random.Generator) -> FloatArray:
    """Unit-RMS noise: white, pink (1/f) or brown (1/f^2), shaped in the frequency domain."""
    white = rng.standard_normal(n)
    if kind == "white":
        shaped = white
    else:
        spectrum = np.fft.rfft(white)
        f = np.fft.rfftfreq(n, 1 / RATE)
        f[0] = f[1] if n > 1 else 1.0
        spectrum /= np.sqrt(f) if kind == "pink" else np.maximum(f, 20.0)
        shaped = np.fft.irfft(spectrum, n)
    result: FloatArray = shaped / (np.sqrt(np.mean(shaped**2)) + 1e-12)
    return result


def unit(x: FloatArray) -> FloatArray:
    """x scaled to unit active RMS."""
    return x / (active_rms(x) + 1e-9)


def active_rms(x: FloatArray) -> float:
    """RMS over the 20 ms blocks within 25 dB of the loudest (the signal's active level)."""
    blocks = x[: len(x) // 160 * 160].reshape(-1, 160)
    power = (blocks**2).mean(axis=1)
    active = power[power >= power.max() * 10 ** (-25 / 10)]
    return float(np.sqrt(active.mean())) if len(active) else 0.0


class Builder:
    """Builds the items of one split; each item from its own seeded generator."""

    def __init__(self, split: str) -> None:
        self.split = split
        self.flite = ENGINES[split] == "flite"
        self.pool = ThreadPoolExecutor(max_workers=4)

    def voice(self, rng: np.random.Generator) -> Voice:
        if self.flite:
            return (
                str(rng.choice(VOICES[self.split])),
                int(rng.integers(80, 146)),
                int(rng.integers(85, 221)),
                0,
            )
        voice = f"{rng.choice(VOICES[self.split])}+{rng.choice(VARIANTS[self.split])}"
        return (
            voice,
            int(rng.integers(120, 221)),
            int(rng.integers(20, 81)),
            int(rng.integers(0, 6)),
        )

    def speak(self, text: str, voice: Voice) -> FloatArray:
        if self.flite:
            return speak_flite(text, voice[0], voice[1], voice[2])
        return speak(text, *voice)

    def say(self, text: str, rng: np.random.Generator) -> FloatArray:
        return self.speak(text, self.voice(rng))

    def ringback(self, rng: np.random.Generator, rings: int) -> FloatArray:
        parts = [silence(rng.uniform(0.2, 1.5))]
        tol = 10.0
        for _ in range(rings):
            parts.append(
                tone(
                    [440 + rng.uniform(-tol, tol), 480 + rng.uniform(-tol, tol)],
                    rng.uniform(1.9, 2.1),
                    rng,
                )
            )
            parts.append(silence(rng.uniform(3.9, 4.1)))
        return np.concatenate(parts)

    def cadence(
        self,
        *,
        rng: np.random.Generator,
        freqs: Sequence[float],
        tol: float,
        on: float,
        off: float,
        total: float,
        jitter: float = 0.08,
    ) -> FloatArray:
        parts = [silence(rng.uniform(0.2, 1.5))]
        length = 0.0
        f = [x + rng.uniform(-tol, tol) for x in freqs]
        while length < total:
            a, b = (
                on * rng.uniform(1 - jitter, 1 + jitter),
                off * rng.uniform(1 - jitter, 1 + jitter),
            )
            parts += [tone(f, a, rng), silence(b)]
            length += a + b
        return np.concatenate(parts)

    def sit(self, label: str, rng: np.random.Generator) -> tuple[FloatArray, float]:
        if label == "sit_unknown":
            f1, d1, f2, d2 = SIT_UNKNOWN[int(rng.integers(len(SIT_UNKNOWN)))]
        else:
            f1, d1, f2, d2 = SIT_SEGMENTS[label]

        def jitter(seconds: float) -> float:
            return seconds * float(rng.uniform(0.95, 1.05))

        def ftol(freq: float) -> float:
            return freq + float(rng.uniform(-12, 12))

        pre = rng.uniform(0.2, 1.0)
        parts = [
            silence(pre),
            tone([ftol(f1)], jitter(d1), rng),
            tone([ftol(f2)], jitter(d2), rng),
            tone([ftol(1776.7)], jitter(0.380), rng),
        ]
        return np.concatenate(parts), pre

    def build(self, index: int, label: str, seed: int) -> tuple[FloatArray, Item, float]:
        """The clean signal (before level and noise), its item (path not yet set), and the
        reference RMS for the SNR."""
        rng = np.random.default_rng([seed, index])
        item = Item("", label, EXPECTED[label], SIT_DETAIL.get(label, ""))
        if label == "ringback":
            x = self.ringback(rng, int(rng.integers(1, 3)))
        elif label == "no_answer":
            x = self.ringback(rng, 6)
        elif label == "busy":
            x = self.cadence(
                rng=rng, freqs=[480, 620], tol=10, on=0.5, off=0.5, total=rng.uniform(3, 6)
            )
        elif label == "reorder":
            x = self.cadence(
                rng=rng, freqs=[480, 620], tol=10, on=0.25, off=0.25, total=rng.uniform(2, 4)
            )
        elif label.startswith("sit_"):
            s, pre = self.sit(label, rng)
            after = rng.random() < 0.5
            lead = self.ringback(rng, 1) if after else silence(0.1)
            if after:
                item.answer_at = len(lead) / RATE
            item.sit_onset = (len(lead) / RATE) + pre
            speech = unit(self.say(str(rng.choice(ANNOUNCEMENTS[self.split])), rng))
            x = np.concatenate([lead, s, silence(rng.uniform(0.1, 0.5)), speech, silence(0.5)])
        elif label in ("fax_cng", "fax_ced", "modem_ans", "modem_ansam"):
            lead = self.ringback(rng, int(rng.integers(0, 2)))
            item.answer_at = len(lead) / RATE
            gap = silence(rng.uniform(0.2, 1.2))
            if label == "fax_cng":
                f = 1100 + rng.uniform(-38, 38)
                parts = []
                for _ in range(3):
                    parts += [
                        tone([f], rng.uniform(0.45, 0.55), rng),
                        silence(rng.uniform(2.8, 3.2)),
                    ]
                body = np.concatenate(parts)
            else:
                f = 2100 + rng.uniform(-15, 15)
                seconds = rng.uniform(2.6, 3.6)
                t = np.arange(int(seconds * RATE)) / RATE
                phase = 2 * np.pi * f * t + rng.uniform(0, 2 * np.pi)
                if label == "modem_ans" or (label == "modem_ansam" and rng.random() < 0.3):
                    phase += np.pi * np.floor(t / 0.45)  # phase reversal every 450 ms
                body = np.sin(phase)
                if label == "modem_ansam":
                    body *= 1 + 0.2 * np.sin(2 * np.pi * 15 * t)
                body = np.concatenate([body, silence(0.5)])
            x = np.concatenate([lead, gap, body])
        elif label == "dead_air":
            lead = self.ringback(rng, int(rng.integers(0, 2)))
            item.answer_at = len(lead) / RATE
            x = np.concatenate([lead, silence(rng.uniform(5, 7))])
        else:
            lead = self.ringback(rng, int(rng.integers(0, 2)))
            item.answer_at = len(lead) / RATE
            onset = rng.uniform(0.2, 1.3) if label == "human" else rng.uniform(0.3, 1.6)
            parts = [lead, silence(onset)]
            if label == "human":
                text = str(rng.choice(HUMAN_TEXTS[self.split]))
                voice = self.voice(rng)
                first = unit(self.speak(text, voice))
                parts.append(first)
                item.meta.update(greeting_s=round(len(first) / RATE, 2), text=text, voice=voice)
                if rng.random() < 0.4:
                    pause = rng.uniform(1.0, 2.5)
                    parts.append(silence(pause))
                    second = str(rng.choice(HUMAN_SECOND[self.split]))
                    parts.append(unit(self.say(second, rng)))
                    item.meta.update(pause_s=round(pause, 2), second=second)
                parts.append(silence(rng.uniform(2.5, 3.5)))
            else:
                texts = (
                    MACHINE_TEXTS[self.split] if label == "machine" else ANNOUNCEMENTS[self.split]
                )
                count = int(rng.integers(2, 6)) if label == "machine" else 1
                chosen = rng.choice(len(texts), size=min(count, len(texts)), replace=False)
                voice = self.voice(rng)
                spoken: list[FloatArray] = []
                for j, c in enumerate(chosen):
                    if j:
                        spoken.append(silence(rng.uniform(0.1, 0.6)))
                    spoken.append(self.speak(str(texts[c]), voice))
                greeting = unit(np.concatenate(spoken))
                parts.append(greeting)
                item.meta.update(greeting_s=round(len(greeting) / RATE, 2), voice=voice)
                item.meta["texts"] = [str(texts[c]) for c in chosen]
                if label == "machine" and rng.random() < 0.6:
                    parts.append(silence(rng.uniform(0.2, 0.8)))
                    beep_f = float(rng.choice([440, 850, 1000, 1400]) + rng.uniform(-30, 30))
                    beep_s = rng.uniform(0.15, 1.2)
                    parts.append(tone([beep_f], beep_s, rng) * 10 ** (rng.uniform(-6, 3) / 20))
                    item.beep_end = round(sum(len(p) for p in parts) / RATE, 3)
                    item.meta["beep_hz"] = round(beep_f)
                parts.append(silence(rng.uniform(1.0, 2.0)))
            x = np.concatenate(parts)
        return x, item, 1.0


def _finish(
    x: FloatArray, item: Item, rng: np.random.Generator, directory: Path, name: str
) -> Item:
    """Level, noise, G.711 round trip; write the WAV."""
    level_db = rng.uniform(-30, -6)
    snr = float(rng.choice([30.0, 20.0, 12.0]))
    noise_kind = str(rng.choice(["white", "pink", "brown"]))
    signal = x * (32768 / math.sqrt(2)) * 10 ** (level_db / 20)
    n = noise(len(x), noise_kind, rng) * (32768 / math.sqrt(2)) * 10 ** ((level_db - snr) / 20)
    pcm = np.clip(np.round(signal + n), -32768, 32767).astype(np.int16)
    codec = "pcm"
    if rng.random() < 0.5:
        if rng.random() < 0.8:
            pcm = ulaw_decode(ulaw_encode(pcm))
            codec = "ulaw"
        else:
            pcm = alaw_decode(alaw_encode(pcm))
            codec = "alaw"
    path = directory / f"{name}.wav"
    store = codec if codec != "pcm" and rng.random() < 0.5 else "pcm"
    write_wav(path, pcm, store)
    item.path = str(path)
    item.snr_db = snr
    item.meta.update(level_db=round(level_db, 1), noise=noise_kind, codec=codec, stored=store)
    return item


def write_wav(path: Path, pcm: npt.NDArray[np.int16], encoding: str = "pcm") -> None:
    """Write 8 kHz mono: 16-bit PCM, or G.711 (WAVE format 7 mu-law, 6 A-law)."""
    if encoding == "pcm":
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(pcm.astype("<i2").tobytes())
        return
    data = (ulaw_encode(pcm) if encoding == "ulaw" else alaw_encode(pcm)).tobytes()
    fmt_tag = 7 if encoding == "ulaw" else 6
    fmt = (
        fmt_tag.to_bytes(2, "little")
        + (1).to_bytes(2, "little")
        + RATE.to_bytes(4, "little")
        + RATE.to_bytes(4, "little")
        + (1).to_bytes(2, "little")
        + (8).to_bytes(2, "little")
        + (0).to_bytes(2, "little")
    )
    body = b"WAVE" + b"fmt " + len(fmt).to_bytes(4, "little") + fmt
    body += b"data" + len(data).to_bytes(4, "little") + data + (b"\0" if len(data) % 2 else b"")
    path.write_bytes(b"RIFF" + len(body).to_bytes(4, "little") + body)


DEFAULT_COUNTS = {
    "ringback": 4,
    "busy": 4,
    "reorder": 4,
    "sit_intercept": 3,
    "sit_vacant": 3,
    "sit_reorder": 3,
    "sit_nocircuit": 3,
    "sit_unknown": 3,
    "fax_cng": 3,
    "fax_ced": 4,
    "modem_ans": 3,
    "modem_ansam": 3,
    "no_answer": 2,
    "dead_air": 4,
    "human": 40,
    "machine": 40,
    "announcement": 4,
}
SEEDS = {"train": 1234, "heldout": 987654, "flite": 55555}


def build_corpus(
    split: str = "train",
    counts: dict[str, int] | None = None,
    seed: int | None = None,
    cache: Path | None = None,
) -> list[Item]:
    """Build (or load from the cache) the corpus of a split."""
    require_tools(split)
    counts = counts or DEFAULT_COUNTS
    seed = SEEDS[split] if seed is None else seed
    key = hashlib.sha256(json.dumps([VERSION, split, seed, counts], sort_keys=True).encode())
    directory = (cache or Path(tempfile.gettempdir()) / "ctiemu-cpd-corpus") / key.hexdigest()[:16]
    index = directory / "index.json"
    if index.exists():
        return [Item(**entry) for entry in json.loads(index.read_text())]
    directory.mkdir(parents=True, exist_ok=True)
    builder = Builder(split)
    jobs = []
    number = 0
    for label, count in counts.items():
        for _ in range(count):
            jobs.append((number, label))
            number += 1

    def make(job: tuple[int, str]) -> Item:
        number, label = job
        x, item, _ = builder.build(number, label, seed)
        rng = np.random.default_rng([seed, number, 7])
        return _finish(x, item, rng, directory, f"{number:04d}-{label}")

    items = list(builder.pool.map(make, jobs))
    builder.pool.shutdown()
    index.write_text(json.dumps([asdict(item) for item in items]))
    return items
