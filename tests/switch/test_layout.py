"""The switch is a kernel with feature modules around it (switch/kernel.py, switch/features/):
these tests hold the composition to what the module docstrings say."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import get_args

import switch.features
from switch.features import trunk_calls
from switch.kernel import SwitchKernel
from switch.pbx import Switch
from switch.timers import TimerKind
from switch.trunks import TrunkReport

FEATURES = Path(switch.features.__file__).parent


def test_every_hook_is_implemented() -> None:
    assert not inspect.isabstract(Switch), sorted(Switch.__abstractmethods__)


def test_every_timer_kind_has_a_handler() -> None:
    assert set(Switch._on_timer) == set(TimerKind)


def test_every_trunk_report_has_a_handler() -> None:
    assert set(trunk_calls._ON_REPORT) == set(get_args(TrunkReport))


def test_features_import_the_kernel_never_each_other() -> None:
    for path in FEATURES.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module is not None
        }
        others = {m for m in imported if m.startswith(("switch.features", "switch.pbx"))}
        assert not others, f"{path.name} imports {sorted(others)}"


def test_each_hook_is_implemented_by_one_feature() -> None:
    """A hook the kernel declares is overridden by exactly one feature class."""
    features = [c for c in Switch.__mro__ if c is not Switch and issubclass(c, SwitchKernel)]
    features.remove(SwitchKernel)
    assert features
    for hook in SwitchKernel.__abstractmethods__:
        owners = [c.__name__ for c in features if hook in vars(c)]
        assert len(owners) == 1, (hook, owners)
