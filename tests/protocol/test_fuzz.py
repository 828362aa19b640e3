"""Seeded fuzz loop: 100,000 random inputs and mutated valid frames through framer + decoder.

Plain loops, not Hypothesis (too slow at this count). Nothing may be raised but the typed
ProtocolError, and every error's offset must point inside the input (frame-relative offsets
from the decoder are added to the frame's position in the stream).
"""

from __future__ import annotations

import random
import struct
from collections.abc import Callable

from protocol.codec import decode, encode
from protocol.errors import FrameError, MessageError
from protocol.framer import Framer
from tests.protocol.samples import SAMPLES

SEED = 20261122
COUNT = 100_000
VALID = [encode(m) for m in SAMPLES]


def _flip_bits(rng: random.Random, data: bytearray) -> None:
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(len(data))
        data[i] ^= 1 << rng.randrange(8)


def _set_bytes(rng: random.Random, data: bytearray) -> None:
    for _ in range(rng.randint(1, 4)):
        data[rng.randrange(len(data))] = rng.choice((0, 0xFF, 0x7F, 0x80, rng.randrange(256)))


def _insert(rng: random.Random, data: bytearray) -> None:
    i = rng.randrange(len(data) + 1)
    data[i:i] = rng.randbytes(rng.randint(1, 16))


def _delete(rng: random.Random, data: bytearray) -> None:
    i = rng.randrange(len(data))
    del data[i : i + rng.randint(1, 16)]


def _truncate(rng: random.Random, data: bytearray) -> None:
    del data[rng.randrange(len(data)) :]


def _corrupt_length(rng: random.Random, data: bytearray) -> None:
    """Rewrite the body length or an attribute/pair length field with a plausible lie."""
    offset = rng.choice([4] + [i for i in range(8, len(data) - 4) if rng.random() < 0.1])
    width = 4 if offset == 4 or rng.random() < 0.7 else 2
    if offset + width <= len(data):
        fmt = ">I" if width == 4 else ">H"
        value = rng.choice((0, 1, 7, 8, 2**31, 2**32 - 1, rng.randrange(64)))
        value &= 2 ** (8 * width) - 1
        struct.pack_into(fmt, data, offset, value)


def _splice(rng: random.Random, data: bytearray) -> None:
    other = rng.choice(VALID)
    data[rng.randrange(len(data)) :] = other[rng.randrange(len(other)) :]


MUTATIONS: list[Callable[[random.Random, bytearray], None]] = [
    _flip_bits,
    _set_bytes,
    _insert,
    _delete,
    _truncate,
    _corrupt_length,
    _splice,
]


def _inputs(rng: random.Random) -> bytes:
    kind = rng.random()
    if kind < 0.25:  # pure noise
        return rng.randbytes(rng.randint(0, 64))
    if kind < 0.5:  # a plausible header over noise
        body = rng.randbytes(rng.randint(0, 96))
        return (
            struct.pack(">2sHI", b"CT", rng.choice((0, 3, 14, 16, 17, 52, 60, 93, 999)), len(body))
            + body
        )
    data = bytearray(b"".join(rng.choice(VALID) for _ in range(rng.randint(1, 3))))
    for _ in range(rng.randint(1, 3)):
        if data:
            rng.choice(MUTATIONS)(rng, data)
    return bytes(data)


def test_fuzz_framer_and_decoder() -> None:
    rng = random.Random(SEED)
    outcomes = {"decoded": 0, "frame_error": 0, "message_error": 0, "incomplete": 0}
    for iteration in range(COUNT):
        blob = _inputs(rng)
        framer = Framer(max_frame_size=1 << 16)
        framer.receive_data(blob)
        position = 0
        try:
            while True:
                frame = framer.next_frame()
                if frame is None:
                    outcomes["incomplete"] += framer.buffered > 0
                    break
                try:
                    decode(frame)
                    outcomes["decoded"] += 1
                except MessageError as err:
                    outcomes["message_error"] += 1
                    assert err.offset is not None, (iteration, err)
                    assert 0 <= position + err.offset <= len(blob), (iteration, err)
                    assert err.message_type is not None or err.offset == len(frame)
                position += len(frame)
        except FrameError as err:
            outcomes["frame_error"] += 1
            assert err.offset is not None and 0 <= err.offset <= len(blob), (iteration, err)
        except Exception as exc:  # anything else is a decoder bug: say which input
            raise AssertionError(f"iteration {iteration}: {blob.hex()} raised {exc!r}") from exc
    # the loop exercised every outcome, so a codec that rejects everything cannot pass
    assert all(count > 1000 for count in outcomes.values()), outcomes
