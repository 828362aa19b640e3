"""The `ctiemu` command line: the parser and the dispatch.

ctiemu serve [--host H] [--port P] [--config FILE] [--demo] [--capture FILE]   (cli.serve)
ctiemu monitor DN... / call FROM TO                                            (cli.watch)
ctiemu agent login|ready|notready|logout DN ...                                (cli.oneshot)
ctiemu answer|release|hold|retrieve|transfer|conference|dtmf|attach DN ...     (cli.oneshot)
ctiemu load --agents N --rate CALLS_PER_S --duration SECONDS                   (cli.load)
ctiemu sim ACTION ... / trace on|off --session N / stats / check-config FILE   (cli.simctl)
ctiemu capture ... / decode FILE / dissector                                   (cli.capture)
ctiemu replay FILE... [--server HOST:PORT] [--config FILE] [--junit FILE]     (cli.replay)
ctiemu cpd FILE.wav... [--json] [--answer-at SECONDS] [--config FILE]         (cli.cpd)
ctiemu --version

Start-up is kept short: COMMANDS names each command's module, and only the module of the
command being run is imported (with what it uses); the others appear in the parser as names
with their one-line help. So `ctiemu --version` imports no command at all, and `ctiemu agent
ready` imports the client library but not the server, the switch or call progress detection.
docs/cli.md documents every command and option; benchmarks/cli.py measures the start-up.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from typing import NoReturn

from cti import __version__
from cti.cli.common import EXIT_USAGE

#: Every command: its module in cti.cli (which defines `add_parsers(commands)` registering it,
#: and its siblings, with `set_defaults(run=...)`) and its one-line help.
COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("serve", "run the T-Server and the switch"),
    "monitor": ("watch", "print the events of DNs as they happen"),
    "call": ("watch", "call TO from FROM and print the call's events"),
    "agent": ("oneshot", "log an agent in or out, make it ready or not"),
    "answer": ("oneshot", "answer the call ringing at DN"),
    "release": ("oneshot", "release DN from a call"),
    "hold": ("oneshot", "put a call at DN on hold"),
    "retrieve": ("oneshot", "take a held call at DN back"),
    "transfer": (
        "oneshot",
        "transfer DN's call to TO (single-step unless --two-step or --complete)",
    ),
    "conference": (
        "oneshot",
        "conference DN's call to TO (single-step unless --two-step or --complete)",
    ),
    "dtmf": ("oneshot", "send DTMF digits on a call at DN"),
    "attach": ("oneshot", "attach UserData to a call at DN"),
    "load": ("load", "drive a T-Server with simulated agents and callers; print a summary"),
    "sim": ("simctl", "simulation control: make the outside world act"),
    "trace": ("simctl", "switch a session's frame trace on or off"),
    "stats": ("simctl", "print the server's statistics (QueryServer)"),
    "check-config": ("simctl", "validate a configuration file"),
    "capture": ("capture", "a transparent proxy in front of a T-Server that records a pcap"),
    "decode": ("capture", "print the ctiemu sessions of a pcap/pcapng file"),
    "dissector": ("capture", "print the Wireshark Lua dissector (ctiemu dissector > ctiemu.lua)"),
    "replay": ("replay", "replay captured client sessions against a server and compare"),
    "cpd": (
        "cpd",
        "call progress detection on 8 kHz WAV files (tones, SIT, fax, human/machine)",
    ),
}


def _chosen(argv: Sequence[str]) -> str | None:
    """The command named in argv (the first argument that is not an option), if any."""
    for arg in argv:
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


class _Parser(argparse.ArgumentParser):
    """An argparse parser whose usage errors are one line, in every command's error style:
    `ctiemu: COMMAND: message (see ctiemu COMMAND --help)`, exit status 2. Sub-parsers are
    of the same class (argparse makes them so), so this holds for every command."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("ctiemu").strip()
        where = f"{command}: " if command else ""
        self.exit(EXIT_USAGE, f"ctiemu: {where}{message} (see {self.prog} --help)\n")


def build_parser(*commands_to_load: str) -> argparse.ArgumentParser:
    """The ctiemu parser. The modules of `commands_to_load` register their full sub-parsers;
    every other command is a placeholder that shows in --help with its one-line help."""
    parser = _Parser(prog="ctiemu", description="Telephony switch and CTI protocol emulator.")
    parser.add_argument("--version", action="version", version=f"ctiemu {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in dict.fromkeys(COMMANDS[name][0] for name in commands_to_load):
        importlib.import_module(f"cti.cli.{module}").add_parsers(commands)
    registered = set(commands.choices)
    for name, (_module, help_text) in COMMANDS.items():
        if name not in registered:
            commands.add_parser(name, help=help_text)
    # list them in the table's order, whichever module registered them
    order = list(COMMANDS)
    commands._choices_actions.sort(key=lambda action: order.index(action.dest))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    command = _chosen(arguments)
    args = build_parser(*([command] if command else [])).parse_args(arguments)
    logging.basicConfig(
        level=logging.DEBUG
        if args.verbose
        else logging.INFO
        if args.command == "serve"
        else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    run = getattr(args, "run", None)
    assert run is not None, f"command {args.command!r} registered no run function"
    result: int = run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
