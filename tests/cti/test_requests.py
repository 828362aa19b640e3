"""Requests as data (cti.server.requests): every table entry names a real switch operation,
with request fields that exist and parameters the operation takes; the server's handled
requests and its capability mask come from the table."""

from __future__ import annotations

import inspect

import pytest

from cti.server.core import ServerIdentity, TServerCore
from cti.server.requests import SWITCH_REQUESTS, SwitchOperation
from protocol.messages import Message, Request, RequestAnswerCall, RequestGiveMusicTreatment
from switch.config import SwitchConfig
from switch.pbx import Switch


def _field_names(cls: type[Message]) -> set[str]:
    return {fs.spec.field for fs in cls.FIELDS}


@pytest.mark.parametrize("request_type", sorted(SWITCH_REQUESTS, key=lambda t: t.__name__))
def test_each_entry_binds_to_its_switch_operation(request_type: type[Request]) -> None:
    entry = SWITCH_REQUESTS[request_type]
    fields = _field_names(request_type)
    used = {*entry.fields, *entry.keywords.values()}
    assert used <= fields, f"{request_type.__name__} has no {sorted(used - fields)}"
    signature = inspect.signature(entry.operation)
    keywords = {name: None for name in entry.keywords} | dict(entry.fixed)
    signature.bind(object(), *entry.fields, now=0.0, **keywords)  # TypeError if it does not fit
    assert entry.operation is getattr(Switch, entry.operation.__name__)


def test_a_wrong_table_entry_is_refused_at_once() -> None:
    with pytest.raises(ValueError, match="this_dn"):
        SwitchOperation(Switch.answer_call, ("conn_id", "this_dn"))


def test_handled_requests_and_the_capability_mask_come_from_the_table() -> None:
    core = TServerCore(Switch(SwitchConfig(extensions=("1001",))), ServerIdentity("t", "t", 0))
    assert set(SWITCH_REQUESTS) <= core.handled_requests
    assert RequestGiveMusicTreatment in core.handled_requests  # one the core handles itself
    mask = core._capability_mask()
    for request_type in core.handled_requests:
        n = int(request_type.MESSAGE_TYPE)
        assert mask[n // 8] & (1 << (n % 8)), request_type.__name__
    assert sum(bin(byte).count("1") for byte in mask) == len(core.handled_requests)
    assert RequestAnswerCall in SWITCH_REQUESTS


def test_every_simulation_service_has_its_handler_in_the_table() -> None:
    """Simulation control dispatches through tables (SimService -> handler; far-end service
    -> action), not an if-chain: every service is in them, Trace aside (answered first)."""
    from cti.server.core import _FAR_END_ACTIONS, _SIM_SERVICES, TServerCore
    from protocol.enums import SimService

    assert set(_SIM_SERVICES) == set(SimService) - {SimService.Trace}
    far_end = {s for s, handler in _SIM_SERVICES.items() if handler is TServerCore._sim_far_end}
    assert far_end == set(_FAR_END_ACTIONS)
