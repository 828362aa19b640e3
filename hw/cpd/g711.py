"""G.711 mu-law and A-law companding (ITU-T G.711), with numpy lookup tables.

Decoding is a 256-entry table lookup; encoding is a 65536-entry table indexed by the 16-bit
sample (built once at import, 128 KiB). Written here because `audioop` is gone from Python 3.13.
The bit layouts are the standard ones (mu-law: inverted sign-exponent-mantissa with the 0x84
bias; A-law: sign-exponent-mantissa with even bits inverted, 0x55), so the bytes are what RTP
carries as PCMU (payload type 0) and PCMA (payload type 8).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Int16Array = npt.NDArray[np.int16]
UInt8Array = npt.NDArray[np.uint8]

_BIAS = 0x84
_CLIP = 32635


def _ulaw_decode_table() -> Int16Array:
    codes = ~np.arange(256, dtype=np.int32) & 0xFF
    sign = codes & 0x80
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    return np.where(sign != 0, -magnitude, magnitude).astype(np.int16)


def _alaw_decode_table() -> Int16Array:
    codes = np.arange(256, dtype=np.int32) ^ 0x55
    sign = codes & 0x80
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = np.where(
        exponent == 0, (mantissa << 4) + 8, ((mantissa << 4) + 0x108) << np.maximum(exponent - 1, 0)
    )
    return np.where(sign != 0, magnitude, -magnitude).astype(np.int16)


def _ulaw_encode_table() -> UInt8Array:
    samples = np.arange(-32768, 32768, dtype=np.int32)
    sign = np.where(samples < 0, 0x80, 0)
    magnitude = np.minimum(np.abs(samples), _CLIP) + _BIAS
    exponent = np.floor(np.log2(magnitude)).astype(np.int32) - 7
    exponent = np.clip(exponent, 0, 7)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    table: UInt8Array = (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8)
    return table


def _alaw_encode_table() -> UInt8Array:
    samples = np.arange(-32768, 32768, dtype=np.int32)
    sign = np.where(samples >= 0, 0x80, 0)
    magnitude = np.minimum(np.where(samples < 0, -samples - 1, samples), 32767) >> 3
    exponent = np.where(
        magnitude < 32, 0, np.floor(np.log2(np.maximum(magnitude, 1))).astype(np.int32) - 4
    )
    exponent = np.clip(exponent, 0, 7)
    mantissa = np.where(exponent == 0, magnitude >> 1, magnitude >> exponent) & 0x0F
    table: UInt8Array = ((sign | (exponent << 4) | mantissa) ^ 0x55).astype(np.uint8)
    return table


ULAW_DECODE: Int16Array = _ulaw_decode_table()
ALAW_DECODE: Int16Array = _alaw_decode_table()
_ULAW_ENCODE: UInt8Array = _ulaw_encode_table()
_ALAW_ENCODE: UInt8Array = _alaw_encode_table()


def ulaw_decode(data: bytes | UInt8Array) -> Int16Array:
    """mu-law bytes -> 16-bit linear samples."""
    codes = np.frombuffer(data, dtype=np.uint8) if isinstance(data, bytes | bytearray) else data
    return ULAW_DECODE[codes]


def alaw_decode(data: bytes | UInt8Array) -> Int16Array:
    """A-law bytes -> 16-bit linear samples."""
    codes = np.frombuffer(data, dtype=np.uint8) if isinstance(data, bytes | bytearray) else data
    return ALAW_DECODE[codes]


def ulaw_encode(samples: Int16Array) -> UInt8Array:
    """16-bit linear samples -> mu-law codes."""
    codes: UInt8Array = _ULAW_ENCODE[samples.astype(np.int32) + 32768]
    return codes


def alaw_encode(samples: Int16Array) -> UInt8Array:
    """16-bit linear samples -> A-law codes."""
    codes: UInt8Array = _ALAW_ENCODE[samples.astype(np.int32) + 32768]
    return codes
