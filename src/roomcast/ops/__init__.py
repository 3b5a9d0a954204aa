"""Operations: the wiring of a node (``wiring``, ``serve``), the command line (``cli``), admin
commands on the store (``admin``), the worker supervisor, settings (``config``), logs and metrics.

May import every other package. Two of its modules are values the lower layers read: ``config``
(``Settings``) and ``metrics`` (the counters); they import only ``wire``, ``ratelimit`` and
``record``, so no layer below depends on the wiring.
"""
