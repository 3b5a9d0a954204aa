"""A line whose commit's reply was lost is answered ``outcome_unknown`` (it may be stored), and
a re-send with its Ref gets the original ID; a line refused before it was sent is answered
``store_unavailable`` and is not stored.

The node reaches the shared PostgreSQL through the outage tests' TCP proxy, which here loses one
reply or refuses connections; the server itself is not touched.
"""

from __future__ import annotations

from . import test_postgres_outage as outage
from .conftest import Cluster, until
from .tcpproxy import TcpProxy

proxy = outage.proxy  # the same fixture: a proxy in front of the cluster's PostgreSQL
through = outage.through


async def test_a_lost_commit_reply_is_an_unknown_outcome_and_a_resend_is_stored_once(
    cluster: Cluster, proxy: TcpProxy
) -> None:
    """The reply to the line's insert is lost (the link cut once PostgreSQL answered): the line
    is stored, the sender hears ``outcome_unknown``, and a re-send with its Ref on the same
    session gets the original ID."""
    node = await cluster.node(db_url=through(cluster.db_url, proxy))
    alice = await cluster.client(node, nick="alice")
    await alice.say("before", "before")
    await until(lambda: "before" in alice.acks, 5, "the ack before")

    proxy.lose_reply_to(b"the reply to this is lost")
    await alice.say("the reply to this is lost", "lost")
    await until(lambda: any(e.get("Ref") == "lost" for e in alice.errors), 15, "the error")
    [error] = alice.errors
    assert error["Code"] == "outcome_unknown"
    assert "same Ref" in error["Message"]
    assert "lost" not in alice.acks
    stored = await cluster.stored()
    assert [row["ref"] for row in stored] == ["s:before", "s:lost"]

    await alice.say("the reply to this is lost", "lost")  # same Ref, same session
    await until(lambda: "lost" in alice.acks, 15, "the ack of the re-send")
    assert alice.acks["lost"] == stored[1]["id"] == 2
    assert len(await cluster.stored()) == 2


async def test_a_line_refused_before_it_was_sent_is_store_unavailable_and_not_stored(
    cluster: Cluster, proxy: TcpProxy
) -> None:
    """No connection to PostgreSQL: the line never left the node, so ``store_unavailable``."""
    node = await cluster.node(db_url=through(cluster.db_url, proxy))
    alice = await cluster.client(node, nick="alice")
    await alice.say("before", "before")
    await until(lambda: "before" in alice.acks, 5, "the ack before")

    await proxy.cut()
    await alice.say("refused", "refused")
    await until(lambda: any(e.get("Ref") == "refused" for e in alice.errors), 15, "the error")
    assert {e["Code"] for e in alice.errors} == {"store_unavailable"}
    await proxy.restore()
    assert [row["ref"] for row in await cluster.stored()] == ["s:before"]
