"""The T-Server: `core` (sans-IO: client sessions, registrations, requests -> switch ->
deliveries), `edge` (the trio edge: TServer, connections over TCP, TLS or in memory, timers,
keep-alive), `config` (the TOML configuration and its embedded default, default.toml) and
`build` (a server from a configuration). Import what you use from the modules; this package
imports nothing, so that commands that need only part of it stay fast to start.
"""
