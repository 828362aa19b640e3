"""Reading the audio of a call from a WAV file: 8 kHz mono, 16-bit PCM (format 1) or G.711
(format 7 mu-law, format 6 A-law, also inside WAVE_FORMAT_EXTENSIBLE). Anything else, a
truncated file too, is refused with a one-line reason (WavError); resample other rates first,
e.g. `sox in.wav -r 8000 out.wav`.
"""

from __future__ import annotations

import struct
from pathlib import Path

RATE = 8000
FORMATS = {1: "slin16", 6: "alaw", 7: "ulaw"}
#: A data chunk size of 0xFFFFFFFF: written by a streaming writer that did not know the length
#: (the audio runs to the end of the file). Any other size the file does not hold is truncation.
UNKNOWN_SIZE = 0xFFFF_FFFF


class WavError(ValueError):
    """A file that is not usable 8 kHz mono call audio."""


def read_wav(path: str | Path) -> tuple[bytes, str]:
    """(payload, encoding) of a WAV file, encoding being "slin16", "ulaw" or "alaw"."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise WavError(f"{path}: {exc.strerror or exc}") from None
    return parse_wav(data, str(path))


def parse_wav(data: bytes, name: str = "WAV") -> tuple[bytes, str]:
    if len(data) == 0:
        raise WavError(f"{name}: empty file")
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise WavError(f"{name}: not a RIFF/WAVE file")
    position = 12
    fmt: bytes | None = None
    payload: bytes | None = None
    while position + 8 <= len(data):
        chunk, size = struct.unpack_from("<4sI", data, position)
        body = data[position + 8 : position + 8 + size]
        if len(body) < size and not (chunk == b"data" and size == UNKNOWN_SIZE):
            raise WavError(
                f"{name}: truncated: its {chunk.decode('latin-1').strip()!r} chunk declares "
                f"{size} bytes, the file holds {len(body)}"
            )
        if chunk == b"fmt ":
            fmt = body
        elif chunk == b"data":
            payload = body
            break
        position += 8 + size + (size & 1)
    if fmt is None or len(fmt) < 16:
        raise WavError(f"{name}: no fmt chunk")
    if payload is None:
        raise WavError(f"{name}: no data chunk")
    tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", fmt)
    if tag == 0xFFFE and len(fmt) >= 26:  # WAVE_FORMAT_EXTENSIBLE: the subformat's first word
        tag = struct.unpack_from("<H", fmt, 24)[0]
    encoding = FORMATS.get(tag)
    if encoding is None:
        raise WavError(f"{name}: WAV format {tag} not supported (16-bit PCM, mu-law or A-law)")
    if channels != 1:
        raise WavError(f"{name}: {channels} channels; call audio must be mono")
    if rate != RATE:
        raise WavError(
            f"{name}: sample rate {rate} Hz; call progress detection needs {RATE} Hz "
            f"(resample first, e.g. sox in.wav -r {RATE} out.wav)"
        )
    if encoding == "slin16" and bits != 16:
        raise WavError(f"{name}: {bits}-bit PCM; expected 16-bit")
    if encoding == "slin16" and len(payload) % 2:
        raise WavError(f"{name}: data chunk of {len(payload)} bytes: not whole 16-bit samples")
    if not payload:
        raise WavError(f"{name}: no audio (empty data chunk)")
    return payload, encoding
