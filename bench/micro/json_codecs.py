"""JSON codecs on roomcast's two hot frames: parse a client line, encode a Chat frame.

Run: .venv/bin/pip install msgspec && .venv/bin/python bench/micro/json_codecs.py
"""

import base64
import json
import timeit

import msgspec
import orjson

line = json.dumps(
    {
        "Message": base64.b64encode(b"hello everyone, this is a chat line").decode(),
        "Author": "alice",
        "Ref": 17,
    }
)
frame = {
    "Type": "Chat",
    "Message": "aGVsbG8gZXZlcnlvbmUsIHRoaXMgaXMgYSBjaGF0IGxpbmU=",
    "Author": "alice",
    "Room": "lobby",
    "WSID": "5f0c2d9a41be7e03",
    "Sent": "2026-11-26 00:38:50",
    "ID": 119,
    "Time": "2026-11-26T00:38:50.548Z",
}
enc = msgspec.json.Encoder()
dec = msgspec.json.Decoder()
cases = {
    "json   loads": lambda: json.loads(line),
    "orjson loads": lambda: orjson.loads(line),
    "msgspec decode": lambda: dec.decode(line),
    "json   dumps": lambda: json.dumps(frame).encode(),
    "orjson dumps": lambda: orjson.dumps(frame),
    "msgspec encode": lambda: enc.encode(frame),
}
for name, fn in cases.items():
    n = 200_000
    best = min(timeit.repeat(fn, number=n, repeat=5))
    print(f"{name:16s} {best / n * 1e9:7.0f} ns/op")
