"""roomcast's benchmark suite: a C load generator, the peers it is compared with, and reports.

``python -m bench`` (or ``make bench``) installs the peers into ``bench/.peers/`` on first run,
compiles the load generator, runs every scenario against every server side by side, and writes
``docs/benchmarks.md`` (the results block), ``docs/benchmarks/*.png`` and ``bench/results/``.
"""
