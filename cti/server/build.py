"""Building a T-Server from a configuration: the switch, the simulated network behind its
simulated trunk groups, the sans-IO core and the trio edge (`build_server`), and serving it on
TCP until cancelled (`run_server`). Used by `ctiemu serve`, `ctiemu load` and `ctiemu replay`,
the tests, the benchmarks and captures/make.py. Knows nothing about the command line.
"""

from __future__ import annotations

import time

import trio

from cti import __version__
from cti.capture.pcap import PcapWriter
from cti.server.config import Config
from cti.server.core import ServerIdentity, TServerCore
from cti.server.edge import TServer, server_ssl_context
from hw.simnet import SimulatedNetwork
from switch.pbx import Switch

__all__ = ["build_server", "run_server"]


def build_server(
    config: Config, *, capture: PcapWriter | None = None, epoch: float | None = None
) -> tuple[TServer, SimulatedNetwork]:
    """The switch, the simulated network behind its simulated trunk groups, the core and the
    trio edge, from a configuration (recording every session to `capture`, when given).
    `epoch`: Unix time at which trio's clock reads 0 (TServer.epoch); given, nothing reads the
    wall clock and a run under trio's MockClock is the same every time."""
    start = time.time() if epoch is None else epoch
    switch = Switch(config.switch, id_seed=int(start))
    network = SimulatedNetwork(config.network)
    core = TServerCore(
        switch,
        ServerIdentity(name=config.server.name, version=f"ctiemu {__version__}", start_time=start),
        settings=config.server,
        drivers={g.name: network for g in config.switch.trunk_groups if g.driver == "simulated"},
    )
    tls = server_ssl_context(config.server.tls_certificate, config.server.tls_private_key)
    return TServer(core, epoch=epoch, ssl_context=tls, capture=capture), network


async def run_server(
    config: Config,
    *,
    server: TServer | None = None,
    capture: PcapWriter | None = None,
    task_status: trio.TaskStatus[list[trio.SocketListener]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Build the switch and the T-Server from a configuration (or take `server`, built by
    `build_server`) and serve until cancelled."""
    if server is None:
        server, _network = build_server(config, capture=capture)
    async with trio.open_nursery() as nursery:
        listeners: list[trio.SocketListener] = await nursery.start(
            server.serve, config.server.host, config.server.port
        )
        task_status.started(listeners)
