"""Incremental framer: cuts frames out of a byte stream split or merged in any way.

Sans-IO, like h11: feed bytes with `receive_data`, take whole frames with `next_frame` until it
returns None. A stream that is not a ctiemu frame stream (bad magic) or that announces a frame
larger than `max_frame_size` raises FrameError with the stream offset of the bad header: the
connection cannot be resynchronised and must close.
"""

from __future__ import annotations

from collections.abc import Iterator

from protocol._wire_formats import DEFAULT_MAX_FRAME_SIZE, MAGIC
from protocol.codec import HEADER_SIZE, read_header
from protocol.errors import ErrorCode, FrameError

__all__ = ["DEFAULT_MAX_FRAME_SIZE", "Framer"]


class Framer:
    """Buffers a byte stream and yields complete frames."""

    def __init__(self, max_frame_size: int = DEFAULT_MAX_FRAME_SIZE) -> None:
        if max_frame_size < HEADER_SIZE:
            raise ValueError(f"max_frame_size {max_frame_size} is below the header size")
        self.max_frame_size = max_frame_size
        self._buffer = bytearray()
        self._stream_offset = 0  # stream offset of _buffer[0]

    def receive_data(self, data: bytes) -> None:
        self._buffer += data

    @property
    def buffered(self) -> int:
        """Bytes received but not yet returned as frames."""
        return len(self._buffer)

    def next_frame(self) -> bytes | None:
        """The next complete frame, or None if more bytes are needed."""
        buf = self._buffer
        have = len(buf)
        magic_len = len(MAGIC)
        if buf[: min(have, magic_len)] != MAGIC[: min(have, magic_len)]:
            raise FrameError(
                f"bad magic {bytes(buf[:magic_len])!r}: not a ctiemu frame stream",
                code=ErrorCode.FramingError,
                offset=self._stream_offset,
            )
        if have < HEADER_SIZE:
            return None
        mtype, body_len = read_header(bytes(buf[:HEADER_SIZE]))
        size = HEADER_SIZE + body_len
        if size > self.max_frame_size:
            raise FrameError(
                f"frame of {size} bytes exceeds the maximum of {self.max_frame_size}",
                code=ErrorCode.FrameTooLarge,
                message_type=mtype,
                offset=self._stream_offset + 4,
            )
        if have < size:
            return None
        frame = bytes(buf[:size])
        del buf[:size]
        self._stream_offset += size
        return frame

    def frames(self) -> Iterator[bytes]:
        """All complete frames now buffered."""
        while (frame := self.next_frame()) is not None:
            yield frame
