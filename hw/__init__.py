"""hw: drivers behind the switch's trunk interface (switch.trunks.TrunkDriver).

simnet: the simulated public network, the default driver. Serial (modems, CPD boards) and SIP
drivers arrive with their own issues and implement the same interface.
"""
