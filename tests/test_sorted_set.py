"""Behaviour of SortedSet, TimeSortedSet and ScheduledSet on a real server."""

from __future__ import annotations

import json
import logging
import math
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import redis
import redis.asyncio

import redset._core
from clocks import FakeClock
from redset import (
    BytesCodec,
    DecodeError,
    EmptyError,
    EncodeError,
    InvalidScoreError,
    InvalidTypeError,
    InvalidValueError,
    MemberNotFoundError,
    ScheduledSet,
    SortedSet,
    TimeSortedSet,
    WrongTypeError,
)
from redset._protocol import Command, Operation
from redset.asyncio import SortedSet as AsyncSortedSet


def test_add_returns_true_only_for_new_items(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    assert s.add("a") is True
    assert s.add("a") is False
    assert len(s) == 1


def test_explicit_zero_score_is_kept(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key, scorer=lambda item: 5.0)
    s.add("zero", score=0)
    s.add("scored")
    assert s.score("zero") == 0.0
    assert s.score("scored") == 5.0
    assert s.peek() == "zero"


def test_equal_scores_come_out_in_byte_order(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key, codec=BytesCodec())
    for member in [b"b", b"\xff", b"a", b"ab", b"\x00"]:
        s.add(member, score=1)
    assert s.take(10) == [b"\x00", b"a", b"ab", b"b", b"\xff"]


# (policy, second score, expected score) after adding an item at 3.0 and
# adding it again with the second score under the policy.
UPDATE_POLICY_CASES = [
    ("replace", 5.0, 5.0),
    ("replace", 1.0, 1.0),
    ("keep", 5.0, 3.0),
    ("greater", 5.0, 5.0),
    ("greater", 1.0, 3.0),
    ("less", 5.0, 3.0),
    ("less", 1.0, 1.0),
]


@pytest.mark.parametrize(("policy", "second_score", "expected"), UPDATE_POLICY_CASES)
def test_update_policies(
    r: redis.Redis, key: str, policy: str, second_score: float, expected: float
) -> None:
    s = SortedSet(r, key)
    assert s.add("item", 3.0)
    assert s.add("item", second_score, update=policy) is False  # type: ignore[arg-type]  # each policy from the table
    assert s.score("item") == expected


def test_unknown_update_policy_raises(r: redis.Redis, key: str) -> None:
    with pytest.raises(InvalidValueError, match="update must be one of"):
        SortedSet(r, key, update="sometimes")  # type: ignore[call-overload]  # invalid on purpose
    s = SortedSet(r, key)
    with pytest.raises(InvalidValueError):
        s.add("a", update="never")  # type: ignore[arg-type]  # invalid on purpose
    assert len(s) == 0


def test_infinite_scores_round_trip(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add("high", math.inf)
    s.add("low", -math.inf)
    s.add("middle", 0)
    assert list(s.items()) == [("low", -math.inf), ("middle", 0.0), ("high", math.inf)]


def test_nan_score_raises_before_writing(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    with pytest.raises(InvalidScoreError):
        s.add("a", math.nan)
    with pytest.raises(InvalidScoreError):
        s.add_scored([("a", 1.0), ("b", math.nan)])
    with pytest.raises(InvalidScoreError):
        s.add("a", 10**400)
    with pytest.raises(InvalidTypeError):
        s.add("a", "1")  # type: ignore[arg-type]  # invalid on purpose
    assert r.exists(key) == 0


def test_unencodable_item_raises_before_writing(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    with pytest.raises(EncodeError) as caught:
        s.update(["fine", 5])  # type: ignore[list-item]  # invalid on purpose
    assert caught.value.value == 5
    assert r.exists(key) == 0


def test_update_counts_new_items(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    assert s.update(["a", "b", "a"]) == 2
    assert s.update(["b", "c"]) == 1
    assert s.update([]) == 0
    assert sorted(s) == ["a", "b", "c"]


def test_add_scored_applies_pairs_in_order(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    assert s.add_scored([("a", 3), ("b", 1), ("a", 2)]) == 2
    assert list(s.items()) == [("b", 1.0), ("a", 2.0)]
    assert s.add_scored([("a", 9), ("c", 0)], update="keep") == 1
    assert s.score("a") == 2.0


def test_pop_and_take(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add_scored([("c", 3), ("a", 1), ("b", 2)])
    assert s.pop() == "a"
    assert s.take(0) == []
    assert s.take(5) == ["b", "c"]
    with pytest.raises(EmptyError) as caught:
        s.pop()
    assert isinstance(caught.value, KeyError)
    assert s.take(3) == []


def test_take_negative_count_raises(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add("a")
    with pytest.raises(InvalidValueError):
        s.take(-1)
    with pytest.raises(ValueError):
        s.take(-1)
    assert len(s) == 1


@pytest.mark.parametrize("timeout", [0.0005, 0.001, 0.1])
def test_blocking_pop_on_empty_set_returns(
    r: redis.Redis, key: str, timeout: float
) -> None:
    s = SortedSet(r, key)
    started = time.monotonic()
    with pytest.raises(EmptyError):
        s.pop(timeout=timeout)
    assert s.take(3, timeout=timeout) == []
    assert time.monotonic() - started < 1.0


def test_blocking_pop_gets_item_added_later(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add("already")
    assert s.pop(timeout=1) == "already"
    assert s.take(5, timeout=0.01) == []
    s.update(["x", "y"])
    assert s.take(5, timeout=1) == ["x", "y"]


def test_long_blocking_pop_outlasts_socket_timeout(
    redis_url: str, r: redis.Redis, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Scaled down: BZPOPMIN slices of 0.2 s under a 0.5 s socket timeout
    # stand for 1 s slices under redis-py's default of 5 s. Redis can end a
    # blocking command about 100 ms late at its default hz of 10.
    monkeypatch.setattr(redset._core, "MAX_BLOCK_SECONDS", 0.2)
    with redis.Redis.from_url(redis_url, socket_timeout=0.5) as client:
        s = SortedSet(client, key)
        with pytest.raises(EmptyError):
            s.pop(timeout=0.8)
        s.add("later")
        assert s.take(2, timeout=0.8) == ["later"]


def test_negative_or_nan_timeout_raises(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    with pytest.raises(InvalidValueError):
        s.pop(timeout=-1)
    with pytest.raises(InvalidValueError):
        s.pop(timeout=math.nan)


def test_peek_positions(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    with pytest.raises(EmptyError):
        s.peek()
    assert s.peek_score() is None
    s.add_scored([("a", 1), ("b", 2)])
    assert s.peek() == "a"
    assert s.peek(1) == "b"
    assert s.peek_score() == 1.0
    with pytest.raises(EmptyError):
        s.peek(2)
    with pytest.raises(InvalidValueError):
        s.peek(-1)
    assert len(s) == 2


def test_discard_remove_clear(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.update(["a", "b"])
    assert s.discard("a") is True
    assert s.discard("a") is False
    s.remove("b")
    with pytest.raises(MemberNotFoundError) as caught:
        s.remove("b")
    assert isinstance(caught.value, KeyError)
    assert caught.value.item == "b"
    s.update(["c"])
    s.clear()
    assert len(s) == 0
    assert "c" not in s


def test_iteration_pages_through_large_set(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    # 2,500 members with many tied scores cross page borders inside ties.
    s.add_scored((f"m{i:05d}", i // 700) for i in range(2500))
    seen = list(s.items())
    assert [item for item, _ in seen] == [f"m{i:05d}" for i in range(2500)]
    assert [score for _, score in seen] == [float(i // 700) for i in range(2500)]


def test_iteration_survives_pops_at_the_front(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add_scored((f"m{i:05d}", i) for i in range(2500))
    iterator = iter(s)
    first = [next(iterator) for _ in range(1000)]
    # Consumers pop m00000 to m01499 while the iteration is between pages.
    s.take(1500)
    rest = list(iterator)
    assert first == [f"m{i:05d}" for i in range(1000)]
    assert rest == [f"m{i:05d}" for i in range(1500, 2500)]


def test_time_sorted_set_keeps_insertion_order(r: redis.Redis, key: str) -> None:
    clock = FakeClock()
    s = TimeSortedSet(r, key, clock=clock)
    for item in ["z", "a", "m"]:
        s.add(item)
    s.update(["b", "y"])
    assert s.take(10) == ["z", "a", "m", "b", "y"]


def test_time_sorted_set_readd_keeps_place(r: redis.Redis, key: str) -> None:
    s = TimeSortedSet(r, key)
    s.add("hot")
    s.add("cold")
    for _ in range(5):
        assert s.add("hot") is False
    assert s.pop() == "hot"


def test_time_sorted_set_rejects_nan_clock(r: redis.Redis, key: str) -> None:
    s = TimeSortedSet(r, key, clock=lambda: math.nan)
    with pytest.raises(InvalidScoreError):
        s.add("a")
    assert r.exists(key) == 0


def test_scheduled_set_sees_only_due_items(r: redis.Redis, key: str) -> None:
    clock = FakeClock(1000.0)
    s = ScheduledSet(r, key, clock=clock)
    s.add("later", delay=10)
    s.add("now")
    s.add("sooner", at=1005.0)
    assert len(s) == 3
    assert s.available() == 1
    assert s.peek() == "now"
    with pytest.raises(EmptyError):
        s.peek(1)
    assert s.take(10) == ["now"]
    with pytest.raises(EmptyError, match="is due"):
        s.pop()
    clock.now = 1010.0
    assert s.available() == 2
    assert s.peek_score() == 1005.0
    assert s.take(10) == ["sooner", "later"]


def test_scheduled_set_server_clock(r: redis.Redis, key: str) -> None:
    s = ScheduledSet(r, key)
    s.add("now")
    s.add("later", delay=timedelta(hours=1))
    s.add("past", at=datetime(2001, 1, 1, tzinfo=timezone.utc))
    server_now = float(r.time()[0])
    assert s.score("later") == pytest.approx(server_now + 3600, abs=5)
    assert s.available() == 2
    assert s.take(10) == ["past", "now"]


def test_scheduled_set_blocking_pop_waits_for_due(r: redis.Redis, key: str) -> None:
    s = ScheduledSet(r, key)
    s.add("soon", delay=0.2)
    started = time.monotonic()
    assert s.pop(timeout=2) == "soon"
    assert 0.1 < time.monotonic() - started < 1.5
    with pytest.raises(EmptyError):
        s.pop(timeout=0.0005)


def test_scheduled_set_keeps_earlier_due_time(r: redis.Redis, key: str) -> None:
    clock = FakeClock(100.0)
    s = ScheduledSet(r, key, clock=clock)
    s.add("job", delay=50)
    s.add("job", delay=10)
    s.add("job", delay=90)
    assert s.score("job") == 110.0
    s.add("job", delay=90, update="replace")
    assert s.score("job") == 190.0


def test_scheduled_set_rejects_conflicting_times(r: redis.Redis, key: str) -> None:
    s = ScheduledSet(r, key)
    with pytest.raises(InvalidValueError, match="at most one"):
        s.add("x", at=1.0, delay=1.0)
    with pytest.raises(InvalidValueError, match="naive"):
        s.add("x", at=datetime(2030, 1, 1))
    with pytest.raises(InvalidValueError):
        s.add("x", delay=math.inf)
    assert r.exists(key) == 0


def test_wrong_redis_type_names_the_key(r: redis.Redis, key: str) -> None:
    r.set(key, "a string")
    s = SortedSet(r, key)
    with pytest.raises(WrongTypeError) as caught:
        s.add("a")
    assert caught.value.key == key
    assert caught.value.redis_type == "string"
    assert r.get(key) == b"a string"
    with pytest.raises(WrongTypeError):
        ScheduledSet(r, key).pop()


def test_constructor_rejects_bad_arguments(r: redis.Redis, key: str) -> None:
    with pytest.raises(InvalidValueError):
        SortedSet(r, "")
    with pytest.raises(InvalidTypeError):
        SortedSet(r, b"bytes")  # type: ignore[call-overload]  # invalid on purpose
    with pytest.raises(InvalidTypeError, match="not a codec"):
        SortedSet(r, key, codec=object())  # type: ignore[call-overload]  # invalid on purpose
    with pytest.raises(InvalidTypeError):
        SortedSet(object(), key)
    with pytest.raises(InvalidValueError, match="decode_responses"):
        SortedSet(redis.Redis(decode_responses=True), key)


def test_undecodable_member_moves_to_dead_letters(
    r: redis.Redis, key: str, caplog: pytest.LogCaptureFixture
) -> None:
    s = SortedSet(r, key)
    r.zadd(key, {b"\xff\xfe": 1, b"good": 2})
    with pytest.raises(DecodeError) as caught:
        s.peek()
    assert caught.value.raw == b"\xff\xfe"
    assert len(s) == 2
    with caplog.at_level(logging.WARNING, logger="redset"):
        assert s.pop() == "good"
    assert r.zrange(s.dead_letter_key, 0, -1, withscores=True) == [(b"\xff\xfe", 1.0)]
    assert "dead letters" in caplog.text


def test_zero_five_readme_example(r: redis.Redis, key: str) -> None:
    ss = TimeSortedSet(r, key, serializer=json)
    ss.add({"foo": "bar1"})
    ss.add({"foo": "bar2"})
    ss.add({"foo": "bar3"})
    assert len(ss) == 3
    assert ss.peek() == {"foo": "bar1"}
    assert ss.pop() == {"foo": "bar1"}
    assert ss.take(2) == [{"foo": "bar2"}, {"foo": "bar3"}]


def test_reads_set_written_by_plain_zadd(r: redis.Redis, key: str) -> None:
    r.zadd(key, {"second": 2, "first": 1})
    s = SortedSet(r, key)
    assert list(s.items()) == [("first", 1.0), ("second", 2.0)]
    assert s.pop() == "first"


def test_iteration_over_ties_survives_pops(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    # Every member has score 0, so pages cut through one long tie.
    s.update(f"m{i:05d}" for i in range(3000))
    iterator = iter(s)
    first = [next(iterator) for _ in range(1000)]
    r.zpopmin(key, 500)
    rest = list(iterator)
    assert first == [f"m{i:05d}" for i in range(1000)]
    assert rest == [f"m{i:05d}" for i in range(1000, 3000)]


def test_iteration_resumes_after_removed_cursor(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key, codec=BytesCodec())
    members = [bytes([i // 256, i % 256]) for i in range(2500)]
    s.add_scored((member, 1.0) for member in members)
    iterator = iter(s)
    first = [next(iterator) for _ in range(1000)]
    # The cursor member and its neighbours leave the set between pages.
    r.zrem(key, *members[995:1005])
    rest = list(iterator)
    assert first == members[:1000]
    assert rest == members[1005:]


def test_huge_counts_and_timeouts_rejected(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    with pytest.raises(InvalidValueError):
        s.take(2**63)
    with pytest.raises(InvalidValueError):
        s.peek(10**30)
    with pytest.raises(InvalidValueError):
        s.pop(timeout=1e300)
    with pytest.raises(InvalidValueError):
        s.pop(timeout=10**400)
    with pytest.raises(InvalidValueError):
        ScheduledSet(r, key).add("x", delay=10**400)
    assert r.exists(key) == 0


def test_bad_clock_values_rejected(r: redis.Redis, key: str) -> None:
    for reading in [math.nan, math.inf, "123", None]:
        s = TimeSortedSet(r, key, clock=lambda reading=reading: reading)  # type: ignore[misc]  # bad clocks on purpose
        with pytest.raises((InvalidValueError, InvalidTypeError), match="clock"):
            s.add("x")
    assert r.exists(key) == 0


def test_wrongtype_text_in_name_is_not_wrong_type(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key + ":WRONGTYPE")
    with pytest.raises(EmptyError):
        s.pop()
    with pytest.raises(MemberNotFoundError):
        s.remove("WRONGTYPE")


def test_name_must_encode_as_utf8(r: redis.Redis) -> None:
    with pytest.raises(InvalidValueError, match="UTF-8"):
        SortedSet(r, "\udc80")


def test_client_kind_must_match_class(r: redis.Redis, key: str) -> None:
    with pytest.raises(InvalidTypeError, match=r"redis\.asyncio\.Redis"):
        AsyncSortedSet(r, key)
    with pytest.raises(InvalidTypeError, match=r"a redis\.Redis"):
        SortedSet(redis.asyncio.Redis(), key)
    with pytest.raises(InvalidTypeError, match="pipeline"):
        SortedSet(r.pipeline(), key)


def test_failed_dead_letter_write_keeps_batch(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    r.zadd(key, {b"good1": 1, b"\xff": 2, b"good2": 3})
    r.set(s.dead_letter_key, "not a sorted set")
    with pytest.raises(WrongTypeError) as caught:
        s.take(3)
    assert caught.value.key == s.dead_letter_key
    assert r.zrange(key, 0, -1, withscores=True) == [
        (b"good1", 1.0),
        (b"\xff", 2.0),
        (b"good2", 3.0),
    ]


def test_interrupted_decode_keeps_batch(r: redis.Redis, key: str) -> None:
    class InterruptingCodec:
        def encode(self, value: bytes, /) -> bytes:
            return value

        def decode(self, data: bytes, /) -> bytes:
            if data == b"boom":
                raise KeyboardInterrupt
            return data

    s = SortedSet(r, key, codec=InterruptingCodec())
    r.zadd(key, {b"ok": 1, b"boom": 2})
    with pytest.raises(KeyboardInterrupt):
        s.take(2)
    assert r.zrange(key, 0, -1) == [b"ok", b"boom"]


def test_clear_leaves_other_types_alone(r: redis.Redis, key: str) -> None:
    r.xadd(key, {"field": "value"})
    with pytest.raises(WrongTypeError):
        SortedSet(r, key).clear()
    assert r.type(key) == b"stream"
    assert r.xlen(key) == 1


def test_take_skips_dead_letters(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    r.zadd(key, {b"\xff\xfe": 1, b"good": 2, b"\xff\xfd": 3, b"later": 4})
    assert s.take(1, timeout=2) == ["good"]
    assert s.take(1) == ["later"]
    assert r.zcard(s.dead_letter_key) == 2


def test_take_waits_after_dead_letters(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    r.zadd(key, {b"\xff\xfe": 1})
    started = time.monotonic()
    assert s.take(2, timeout=0.3) == []
    assert time.monotonic() - started >= 0.25
    assert r.zcard(s.dead_letter_key) == 1


def test_contains_unencodable_is_false(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add("1")
    assert 1 not in s  # type: ignore[comparison-overlap]  # the wrong type on purpose
    assert None not in s
    assert "1" in s
    with pytest.raises(EncodeError):
        s.add(1)  # type: ignore[arg-type]  # the wrong type on purpose


def test_delay_type_error_shows_value(r: redis.Redis, key: str) -> None:
    s = ScheduledSet(r, key)
    with pytest.raises(InvalidTypeError, match=r"got str '5'"):
        s.add("a", delay="5")  # type: ignore[arg-type]  # the wrong type on purpose


def test_wrongtype_on_changed_key_says_retry(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    other = f"{key}:string"
    r.set(other, "x")

    # This plays a key that another client replaced between the command and
    # the TYPE checks: the set's own keys all have the right type.
    def failing() -> Operation[Any]:
        return (yield Command(("ZADD", other, 1, "a")))

    with pytest.raises(WrongTypeError, match="failed with WRONGTYPE") as caught:
        s._run(failing())
    assert caught.value.key == key
