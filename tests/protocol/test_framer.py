"""Framer tests: frames cut correctly from any split or merge of the stream; a broken stream
raises FrameError with the stream offset. Sans-IO."""

from __future__ import annotations

import pytest

from protocol.codec import encode
from protocol.errors import ErrorCode, FrameError
from protocol.framer import Framer
from tests.protocol.samples import SAMPLES


def test_every_split_of_a_stream_gives_the_same_frames() -> None:
    frames = [encode(m) for m in SAMPLES[:5]]
    stream = b"".join(frames)
    for cut in range(len(stream) + 1):
        framer = Framer()
        framer.receive_data(stream[:cut])
        got = list(framer.frames())
        framer.receive_data(stream[cut:])
        got += list(framer.frames())
        assert got == frames, cut
        assert framer.buffered == 0


def test_byte_by_byte() -> None:
    frames = [encode(m) for m in SAMPLES]
    framer = Framer()
    got = []
    for byte in b"".join(frames):
        framer.receive_data(bytes([byte]))
        got += list(framer.frames())
    assert got == frames


def test_bad_magic_names_stream_offset() -> None:
    good = encode(SAMPLES[0])
    framer = Framer()
    framer.receive_data(good + b"GET / HTTP/1.1\r\n")
    assert next(framer.frames()) == good
    with pytest.raises(FrameError) as info:
        framer.next_frame()
    assert info.value.code is ErrorCode.FramingError
    assert info.value.offset == len(good)


def test_bad_magic_is_seen_from_the_first_byte() -> None:
    framer = Framer()
    framer.receive_data(b"G")
    with pytest.raises(FrameError):
        framer.next_frame()


def test_oversized_frame_is_refused_before_it_is_buffered() -> None:
    framer = Framer(max_frame_size=64)
    framer.receive_data(b"CT\x00\x0e\x00\x10\x00\x00")  # announces 1 MiB of body
    with pytest.raises(FrameError) as info:
        framer.next_frame()
    assert info.value.code is ErrorCode.FrameTooLarge
    assert info.value.message_type == 14
    assert info.value.offset == 4
