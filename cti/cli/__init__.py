"""The `ctiemu` command line: `main` (the parser and the dispatch: a command's module is
imported only when that command runs), `common` (exit codes, HOST:PORT, client options, errors),
and one module per command group: `serve`, `watch` (monitor, call), `oneshot` (agent and call
commands), `load`, `simctl` (sim, trace, stats, check-config), `capture` (capture, decode,
dissector), `replay`, `cpd`. docs/cli.md documents every command. This package imports nothing.
"""
