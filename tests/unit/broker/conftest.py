"""The real Redis for these tests: the fixtures of tests/redis_testing.py."""

from redis_testing import address, admin, kill, name, prefix, token

__all__ = ["address", "admin", "kill", "name", "prefix", "token"]
