"""The terminal client, ``roomcast chat``: a full-screen Textual client, a line mode for scripts.

Built on the client library (``roomcast.client``) and nothing of the server. The package owns
``options`` (what the command line asked for), ``opening`` (the first connection, in both
modes), ``plain`` (the line mode), ``lines`` (how a message reads on screen), ``commands`` (the
composer's /commands) and ``app`` (the full-screen client and ``run``).
"""
