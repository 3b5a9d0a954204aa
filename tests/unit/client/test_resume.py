"""What the client remembers across reconnects, and the URL and frames a reconnect is made of."""

from __future__ import annotations

from roomcast.client.resume import ResumeState


def test_before_the_first_connection() -> None:
    state = ResumeState.starting(None, None, None)
    assert state.wanted == ["default"]
    assert state.connect_query() == ({"room": "default"}, "default", True)
    assert state.rejoin_frames("default", True) == []


def test_the_first_connection_carries_nick_and_session() -> None:
    state = ResumeState.starting("tok", "alice", "lobby")
    query, room, wanted = state.connect_query()
    assert query == {"room": "lobby", "nick": "alice", "session": "tok"}
    assert (room, wanted) == ("lobby", True)


def test_a_first_join_marks_its_backlog_and_a_resume_skips_it() -> None:
    state = ResumeState.starting(None, "bob", "lobby")
    state.joined("lobby", 5)  # the server has 5 messages: they come as backlog
    assert [state.in_backlog("lobby", i) for i in (1, 5, 6)] == [True, True, False]
    assert state.see("lobby", 1)
    # Dropped after the first backlog line: resuming does not fetch the rest of the backlog.
    assert state.connect_query()[0]["since"] == "5"
    for message_id in range(2, 9):
        assert state.see("lobby", message_id)
    assert state.connect_query()[0]["since"] == "8"


def test_a_message_seen_before_is_not_seen_again() -> None:
    state = ResumeState.starting(None, None, "lobby")
    state.joined("lobby", 0)
    assert state.see("lobby", 3)
    assert not state.see("lobby", 3)
    assert not state.see("lobby", 2)
    assert state.see("lobby", 4)
    assert state.last_ids["lobby"] == 4


def test_a_reconnect_rejoins_the_other_rooms_from_where_they_were_read() -> None:
    state = ResumeState.starting("tok", "carol", "a")
    for room, last_id in (("a", 0), ("b", 3), ("c", 0)):
        state.joined(room, last_id)
    state.see("a", 4)
    state.see("c", 9)
    query, room, wanted = state.connect_query()
    assert (query["room"], query["since"], room, wanted) == ("a", "4", "a", True)
    assert state.rejoin_frames(room, wanted) == [
        {"Type": "Join", "Room": "b", "Since": 3},
        {"Type": "Join", "Room": "c", "Since": 9},
    ]


def test_after_leaving_every_room_it_connects_to_the_default_and_leaves_it() -> None:
    state = ResumeState.starting(None, None, "a")
    state.joined("a", 2)
    state.left("a")
    assert (state.wanted, state.last_ids, state.backlog_until) == ([], {}, {})
    query, room, wanted = state.connect_query()
    assert (query, room, wanted) == ({"room": "default"}, "default", False)
    assert state.rejoin_frames(room, wanted) == [{"Type": "Leave", "Room": "default"}]


def test_leaving_the_first_room_makes_the_next_one_the_connect_room() -> None:
    state = ResumeState.starting(None, None, "a")
    state.joined("a", 0)
    state.joined("b", 0)
    state.see("b", 2)
    state.left("a")
    query, room, wanted = state.connect_query()
    assert (query, room, wanted) == ({"room": "b", "since": "2"}, "b", True)
    assert state.rejoin_frames(room, wanted) == []


def test_joining_again_after_leaving_is_a_first_join() -> None:
    state = ResumeState.starting(None, None, "a")
    state.joined("a", 3)
    state.see("a", 5)
    state.left("a")
    state.joined("a", 8)
    assert state.last_ids["a"] == 0
    assert state.in_backlog("a", 8)
    assert state.wanted == ["a"]


def test_join_since_never_moves_back() -> None:
    state = ResumeState.starting(None, None, "a")
    state.join_since("b", 10)
    state.join_since("b", 4)
    assert state.last_ids["b"] == 10
    state.joined("b", 12)  # already read to 10: not a first join, so no backlog
    assert not state.in_backlog("b", 11)
    assert not state.see("b", 10)
    assert state.see("b", 11)


def test_a_signed_in_client_asks_for_no_nickname_when_it_reconnects() -> None:
    state = ResumeState.starting(None, "Ada", "lobby")
    assert state.connect_query()[0]["nick"] == "Ada"  # the first time it sets the account's
    state.session, state.account = "tok", "ada"
    # Renamed on another device while this client was away: it must not rename it back.
    assert state.connect_query()[0] == {"room": "lobby", "session": "tok"}


def test_read_markers_held_while_away_go_out_after_the_rejoin_once() -> None:
    state = ResumeState.starting("tok", "carol", "a")
    for room in ("a", "b", "c"):
        state.joined(room, 0)
    state.hold_read("b", 4)
    state.hold_read("b", 3)  # a marker never moves back
    state.hold_read("c", 1)
    state.hold_read("a", 2)
    state.left("c")
    assert state.held_read_frames() == [
        {"Type": "Read", "Room": "b", "ID": 4},
        {"Type": "Read", "Room": "a", "ID": 2},
    ]
    assert state.held_read_frames() == []
