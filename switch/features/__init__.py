"""The switch's features: each module is one mixin class over switch.kernel.SwitchKernel, and
switch.pbx.Switch composes them all.

    basic.py        BasicCall: make, offer, answer, hold, retrieve, release, clear, redirect,
                    DTMF; forwarding when a call is offered; an extension's no-answer timer
    consult.py      Consultation: consultation calls, transfers, conferences, merge,
                    alternate, reconnect
    acd.py          AcdQueues: waiting calls, free agents, distribution, ring-no-answer,
                    after-call work
    routing.py      RoutingPoints: routing points, treatments, collecting digits
    trunk_calls.py  TrunkCalls: outbound and inbound calls through trunk groups, driver reports
    user_data.py    UserData: the call's UserData
    agents.py       Agents: login, logout, ready, not ready
    dn.py           DNFeatures: DND, forwarding settings, service state, the DN's status

A feature imports the kernel, never another feature; it owns the state it creates in its own
`__init__` and reaches another feature only through the hooks the kernel declares (mypy checks
this: a feature's methods see only the kernel's attributes and its own).
"""
