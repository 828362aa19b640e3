"""The capture engine: `pcap` (reading pcap/pcapng with its own TCP reassembly into ctiemu
sessions, writing pcap with synthesized TCP/IP), `tap` (the recording proxy), `decode` (a
capture as readable or JSON lines), `replay` (the sessions of a capture replayed against a live
server and compared) and `present` (one-line renderings of messages). docs/captures.md.
"""
