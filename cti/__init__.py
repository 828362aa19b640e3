"""cti: the T-Server (sans-IO core and trio edge), its client library and the command line.

cti.server.core holds every client-facing behaviour with no I/O; cti.server is the thin trio edge;
cti.client is the library clients (and our own applications) use; cti.cli is `ctiemu`.
"""

from __future__ import annotations

__version__ = "0.1.0"
