"""hw: drivers behind the switch's trunk and media interface (simulated network, serial, SIP).

Empty for now: the first call path is internal to the switch. Later issues add the driver
interface (defined by switch/) and its implementations here.
"""
