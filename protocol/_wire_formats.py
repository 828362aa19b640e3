"""The fixed-size parts of the frame layout as struct formats, for protocol.codec.

Generated from the construct declarations in protocol.wire by `python -m protocol.wire`;
do not edit. It lets the codec and the framer know the layout without importing
construct; tests/protocol/test_codec.py fails when it is stale.
"""

#: The bytes every frame starts with.
MAGIC = b"CT"
#: Default largest frame (header included) a reader accepts.
DEFAULT_MAX_FRAME_SIZE = 1048576
FRAME_HEADER = ">2sHL"
ATTRIBUTE_HEADER = ">HBL"
KV_PAIR_HEADER = ">H"
KV_PAIR_VALUE_HEADER = ">BL"
KV_LIST_COUNT = ">L"
INT_VALUE = ">q"
CONN_ID_VALUE = ">Q"
