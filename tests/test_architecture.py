"""The house's rules, checked on the source (ARCHITECTURE.md, "The house"): no import cycles;
imports point one way (cti -> hw -> switch -> protocol); inside cti/, each package keeps to its
role; only the sans-IO client connection reads a T-Server's stream (and the server core its
clients' streams); the command line imports a command's module only when it runs."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("protocol", "switch", "hw", "cti")


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The project module an imported name lives in (a module, or the package of a name)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(path: Path) -> set[str]:
    """Project modules the file imports, anywhere in it (functions and TYPE_CHECKING too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if (module := _resolve(alias.name)) is not None:
                    found.add(module)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                module = _resolve(f"{node.module}.{alias.name}") or _resolve(node.module)
                if module is not None:
                    found.add(module)
    return found


def _graph() -> dict[str, set[str]]:
    return {name: _imports(path) - {name} for name, path in MODULES.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            # a package's __init__ importing its own submodules is not a cycle with them
            if node.startswith(nxt + "."):
                continue
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if state.get(nxt) is None and (found := visit(nxt)) is not None:
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if state.get(node) is None and (found := visit(node)) is not None:
            return found
    return None


def test_there_is_no_import_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]  # it sees one
    assert _cycle(_graph()) is None


#: package prefix -> project packages it must not import (anywhere in its code).
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "protocol": ("switch", "hw", "cti"),
    "switch": ("hw", "cti"),
    "hw": ("cti",),
    "cti.client": ("cti.server", "cti.cli", "cti.capture", "cti.sim", "switch", "hw"),
    "cti.server": ("cti.cli", "cti.client", "cti.sim"),
    "cti.capture": ("cti.cli", "cti.server", "cti.sim", "switch", "hw"),
    "cti.sim": ("cti.cli", "cti.server", "cti.capture", "switch"),
}


@pytest.mark.parametrize("owner", sorted(FORBIDDEN))
def test_imports_point_one_way(owner: str) -> None:
    graph = _graph()
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        if module == owner or module.startswith(owner + ".")
        for target in targets
        for banned in FORBIDDEN[owner]
        if target == banned or target.startswith(banned + ".")
    )
    assert wrong == []


def _imports_framer(path: Path) -> bool:
    """Whether the file imports protocol.framer.Framer (the class, not its constants)."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "protocol.framer"
            and any(alias.name == "Framer" for alias in node.names)
        ):
            return True
        if isinstance(node, ast.Import) and any(a.name == "protocol.framer" for a in node.names):
            return True
    return False


def test_only_the_connections_cut_frames_from_a_live_stream() -> None:
    """Framer users in cti/: the server core (its clients' streams), the client connection
    (a server's stream) and the pcap reader (streams reassembled from a capture file)."""
    users = {
        module
        for module, path in MODULES.items()
        if module.startswith("cti") and _imports_framer(path)
    }
    assert users == {"cti.server.core", "cti.client.connection", "cti.capture.pcap"}


@pytest.mark.parametrize(
    ("argv", "absent"),
    [
        (["--version"], ["trio", "cti.client", "cti.server.core", "protocol.codec", "numpy"]),
        (
            ["agent", "ready", "--help"],
            ["cti.server.core", "switch.pbx", "numpy", "hw.cpd", "construct"],
        ),
    ],
)
def test_the_command_line_imports_only_what_the_command_uses(
    argv: list[str], absent: list[str]
) -> None:
    probe = (
        "import sys\n"
        "from cti.cli.main import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in {absent!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        check=False,
        cwd=ROOT,
        capture_output=True,
        timeout=120,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_command_table_matches_the_command_modules() -> None:
    """cti.cli.main.COMMANDS (what --help lists without importing the commands) says what
    each module registers, with the same one-line help."""
    import argparse
    import importlib

    from cti.cli.main import COMMANDS

    for module in {m for m, _ in COMMANDS.values()}:
        parser = argparse.ArgumentParser()
        commands = parser.add_subparsers()
        importlib.import_module(f"cti.cli.{module}").add_parsers(commands)
        registered = {action.dest: action.help for action in commands._choices_actions}
        expected = {name: text for name, (m, text) in COMMANDS.items() if m == module}
        assert registered == expected, module


def test_every_package_is_installed() -> None:
    """pyproject.toml lists every package directory: `pip install .` (the README's command,
    not an editable install) would leave a missing one out."""
    import tomllib

    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for package in PACKAGES
        for path in (ROOT / package).rglob("__init__.py")
    }
    assert listed == found


def test_pyproject_uses_no_deprecated_form() -> None:
    """The license is an SPDX string, which setuptools >= 77 builds without a deprecation
    warning (the `{ text = ... }` table made `pip install` print about 80 lines of them)."""
    import tomllib

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert isinstance(pyproject["project"]["license"], str)
    assert "setuptools>=77" in pyproject["build-system"]["requires"]
