"""Simulated people on the client library: agents, callers and the demo's customers
(`agents`), the workers of `ctiemu load` and `ctiemu serve --demo`."""
