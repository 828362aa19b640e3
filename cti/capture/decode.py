"""The ctiemu sessions of a pcap/pcapng capture as lines: what `ctiemu decode FILE [--json]
[--port N]` prints (the command itself is cti.cli.capture).

Readable output, per session a header line and one line per message:

    session 0: 127.0.0.1:40512 -> 127.0.0.1:7000, start 2025-11-22 10:03:20.511204 UTC
      +0.000412 -> RequestRegisterClient ref=1 protocol_version=1.0 application_name=desk
      +0.001047 <- EventServerInfo ref=1 seq=1 ...

(time offset from the session's start, -> client to server, <- server to client). A frame that
does not decode is shown with its error; gaps in the capture are listed after the messages.

With --json, JSON lines: one per session, {"session": i, "client": "HOST:PORT", "server": ...,
"start": unix time, "messages": n, "gaps": [...]}, then one per frame, {"session": i, "time":
unix time, "direction": "c2s" | "s2c", "message": Message.to_dict()} or, for a frame that did
not decode, {"session", "time", "direction", "error": text, "frame": hex}.

Exit status 2, with one line on stderr, when the file is missing, is no capture, is broken, or
holds no ctiemu session.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import TextIO

from cti.capture.pcap import C2S, CtiSession, Endpoint
from cti.capture.present import format_message

_BATCH = 2000  # lines per write


def endpoint_text(endpoint: Endpoint) -> str:
    host, port = endpoint
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _utc(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def text_lines(sessions: Sequence[CtiSession]) -> Iterator[str]:
    """The readable form, line by line."""
    for index, session in enumerate(sessions):
        yield (
            f"session {index}: {endpoint_text(session.client)} -> "
            f"{endpoint_text(session.server)}, start {_utc(session.start)}"
        )
        start = session.start
        for record in session.records:
            arrow = "->" if record.direction == C2S else "<-"
            if record.message is not None:
                shown = format_message(record.message)
            else:
                shown = f"undecodable frame of {len(record.frame)} bytes: {record.error}"
            yield f"  {record.time - start:+.6f} {arrow} {shown}"
        for gap in session.gaps:
            yield f"  gap: {gap}"


def json_lines(sessions: Sequence[CtiSession]) -> Iterator[str]:
    """The --json form, line by line."""
    dumps = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode
    for index, session in enumerate(sessions):
        yield dumps(
            {
                "session": index,
                "client": endpoint_text(session.client),
                "server": endpoint_text(session.server),
                "start": session.start,
                "messages": len(session.records),
                "gaps": session.gaps,
            }
        )
        for record in session.records:
            message = record.message
            if message is not None:
                yield dumps(
                    {
                        "session": index,
                        "time": record.time,
                        "direction": record.direction,
                        "message": message.to_dict(),
                    }
                )
            else:
                yield dumps(
                    {
                        "session": index,
                        "time": record.time,
                        "direction": record.direction,
                        "error": str(record.error),
                        "frame": record.frame.hex(),
                    }
                )


def write_lines(lines: Iterator[str], out: TextIO) -> None:
    """Write lines in batches (one write per batch, not per line)."""
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= _BATCH:
            batch.append("")
            out.write("\n".join(batch))
            batch = []
    if batch:
        batch.append("")
        out.write("\n".join(batch))
    out.flush()
