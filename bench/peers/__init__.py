"""Servers roomcast is compared with, each speaking the minimal chat protocol of the benchmark.

Every peer accepts ``/ws?room=R`` (Socket.IO: ``/socket.io/?room=R``), reads a client line
``{"Message": "<base64>", "Author": "<nick>"}``, builds one JSON ``Chat`` frame carrying the same
``Message`` and sends it to every member of the room, the sender included. None of them stores,
validates or tracks presence: that is roomcast's extra work in the comparison.
"""
