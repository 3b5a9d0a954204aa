"""RedisAddress: what a redis:// or rediss:// URL says."""

from __future__ import annotations

import pytest

from roomcast.redis.address import RedisAddress


def test_a_full_url_gives_every_part_unquoted() -> None:
    address = RedisAddress.from_url("rediss://us%40er:p%3Ass@cache.example:6380/3")
    assert address == RedisAddress(
        host="cache.example", port=6380, username="us@er", password="p:ss", tls=True, db=3
    )


def test_a_bare_url_means_the_local_default_server() -> None:
    assert RedisAddress.from_url("redis://") == RedisAddress(
        host="127.0.0.1", port=6379, username=None, password=None, tls=False, db=0
    )


def test_a_password_alone_logs_in_without_a_user_name() -> None:
    address = RedisAddress.from_url("redis://:secret@10.0.0.1/")
    assert (address.username, address.password, address.db) == (None, "secret", 0)


def test_other_schemes_are_refused() -> None:
    with pytest.raises(ValueError, match="not a Redis URL"):
        RedisAddress.from_url("http://127.0.0.1:6379")
