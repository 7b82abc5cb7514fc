"""The paths the lease scripts take with and without items in flight.

The model test in test_leases_model.py compares every rule on both paths
with small sets. These tests cover what it does not reach: batches larger
than one slice of script arguments or one page of the set, scores given as
delays from the server clock, and which commands the scripts send.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import redis

import redset._leases
from redset import EmptyError, ScheduledSet, SortedSet
from redset._leases import POP, POP_FAST, lease_keys

# More pairs than one slice of the delayed-add script (500 pairs), with a
# repeat.
BATCH = [(f"item-{n:04d}", float(n)) for n in range(1200)]


def batch_with_repeats() -> list[tuple[str, float]]:
    return [*BATCH, ("item-0001", 5000.0), ("item-1100", -1.0)]


@pytest.mark.parametrize("policy", ["replace", "keep", "greater", "less"])
def test_large_batch_same_with_or_without_leases(
    r: redis.Redis, key: str, policy: str
) -> None:
    plain: SortedSet[str] = SortedSet(r, f"{key}:plain")
    leased: SortedSet[str] = SortedSet(r, f"{key}:leased")
    for s in (plain, leased):
        s.add_scored(BATCH[:3])
    [lease] = leased.claim(lease=60)
    assert lease.item == "item-0000"
    plain.pop()

    added = {
        name: s.add_scored(batch_with_repeats(), update=policy)  # type: ignore[arg-type]  # a literal of UpdatePolicy
        for name, s in (("plain", plain), ("leased", leased))
    }
    # item-0000 is in flight in the leased set, and joins it as a new member
    # as it does in the plain set.
    assert added["leased"] == added["plain"]
    expected = plain.client.zrange(plain.name, 0, -1, withscores=True)
    stored = leased.client.zrange(leased.name, 0, -1, withscores=True)
    assert stored == expected

    # It is not handed out until its lease ends.
    in_order = [member.decode() for member, _ in expected]
    assert leased.peek() == next(m for m in in_order if m != "item-0000")
    assert leased.ack(lease)
    assert leased.peek() == in_order[0]


@pytest.mark.parametrize("due_only", [False, True], ids=["sorted", "scheduled"])
def test_in_flight_members_span_pages(r: redis.Redis, key: str, due_only: bool) -> None:
    """Pass over more in-flight members than one page of the scripts' reads."""
    cls = ScheduledSet if due_only else SortedSet
    s: SortedSet[str] = cls(r, key)
    held = [(f"held-{n:04d}", float(n)) for n in range(1100)]
    s.add_scored(held)
    leases = s.claim(len(held), lease=60)
    assert len(leases) == len(held)
    s.add_scored(held)
    s.add_scored([("free-1", 5000.0), ("free-2", 5001.0)])

    assert len(s) == len(held) + 2
    assert s.peek() == "free-1"
    assert s.peek(1) == "free-2"
    with pytest.raises(EmptyError):
        s.peek(2)
    if isinstance(s, ScheduledSet):
        assert s.available() == 2
    [lease] = s.claim(lease=60)
    assert lease.item == "free-1"
    assert s.take(5) == ["free-2"]
    assert s.claim(5, lease=60) == []

    assert s.ack_many(leases) == len(held)
    assert s.take(2) == ["held-0000", "held-0001"]


def test_large_delayed_batch_uses_server_clock(r: redis.Redis, key: str) -> None:
    s: ScheduledSet[str] = ScheduledSet(r, key)
    before = time.time()
    assert s.update(f"item-{n:04d}" for n in range(1200)) == 1200
    after = time.time()
    scores = [score for _, score in s.items()]
    assert len(scores) == 1200
    # The server clock may differ from this process's by a few milliseconds.
    assert before - 1 < min(scores) <= max(scores) < after + 1
    assert s.available() == 1200


@pytest.mark.parametrize("in_flight", [False, True])
def test_delays_use_server_clock(r: redis.Redis, key: str, in_flight: bool) -> None:
    s: ScheduledSet[str] = ScheduledSet(r, key)
    if in_flight:
        s.add("held")
        assert s.claim(lease=60)
    before = time.time()
    assert s.add("later", delay=100)
    assert s.add("now", delay=0)
    after = time.time()
    later = s.score("later")
    assert later is not None
    # The server clock may differ from this process's by a few milliseconds.
    assert before + 99 < later < after + 101
    assert s.pop() == "now"
    assert s.available() == 0


def command_calls(client: redis.Redis) -> dict[str, int]:
    stats = client.info("commandstats")
    return {
        name.removeprefix("cmdstat_"): value["calls"] for name, value in stats.items()
    }


@pytest.mark.single_server
def test_nothing_in_flight_reads_no_clock(r: redis.Redis, key: str) -> None:
    s: SortedSet[str] = SortedSet(r, key)
    s.add_scored([("a", 1), ("b", 2)])
    # CONFIG RESETSTAT clears the counters of this test's private server.
    r.config_resetstat()
    s.add("c", 3)
    s.add_scored([("d", 4), ("e", 5)])
    assert s.pop() == "a"
    assert s.take(2) == ["b", "c"]
    assert s.peek() == "d"
    assert len(s) == 2
    calls = command_calls(r)
    assert "time" not in calls
    assert "hexists" not in calls
    assert "hmget" not in calls

    # With a lease in flight, reclaiming needs now.
    s.claim(lease=60)
    r.config_resetstat()
    assert len(s) == 1
    assert command_calls(r).get("time") == 1


@contextmanager
def scripts_run(client: Any) -> Iterator[list[str]]:
    """Record the name of each pop script that ``client`` runs, in order."""
    names = {POP.sha_bytes: "full", POP_FAST.sha_bytes: "short"}
    seen: list[str] = []
    original = client.execute_command

    def recording(*args: Any, **options: Any) -> Any:
        if args[0] == "EVALSHA" and args[1] in names:
            seen.append(names[args[1]])
        return original(*args, **options)

    client.execute_command = recording
    try:
        yield seen
    finally:
        client.execute_command = original


def test_pop_short_script_until_lease(
    r: redis.Redis, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(redset._leases, "FULL_POP_SECONDS", 0.5)
    s: SortedSet[str] = SortedSet(r, key)
    s.add_scored([("a", 1), ("b", 2), ("c", 3), ("d", 4), ("e", 5)])
    with scripts_run(r) as seen:
        assert s.pop() == "a"
    assert seen == ["short"]

    [lease] = s.claim(lease=60)
    s.add("b", 2)  # in flight and waiting at once: pop passes over it
    with scripts_run(r) as seen:
        assert s.pop() == "c"
        # A new object of the same set skips the short script too.
        assert SortedSet(r, key).pop() == "d"
    # The short script finds the lease, so the full script runs, and the
    # next pop goes straight to it.
    assert seen == ["short", "full", "full"]

    assert s.ack(lease)
    time.sleep(0.6)
    with scripts_run(r) as seen:
        assert s.pop() == "b"
    assert seen == ["short"]


def test_pop_checks_leases_without_counts(r: redis.Redis, key: str) -> None:
    s: SortedSet[str] = SortedSet(r, key)
    s.add_scored([("a", 1), ("b", 2)])
    [lease] = s.claim(lease=60)
    s.add("a", 1)
    # Without delivery counts, the lease alone keeps "a" from a pop.
    r.delete(lease_keys(key)[3])
    assert s.pop() == "b"
    assert s.ack(lease)
    assert s.pop() == "a"


def test_scheduled_pop_never_short(r: redis.Redis, key: str) -> None:
    s: ScheduledSet[str] = ScheduledSet(r, key)
    s.add("now")
    s.add("later", delay=100)
    with scripts_run(r) as seen:
        assert s.pop() == "now"
        with pytest.raises(EmptyError):
            s.pop()
    assert seen == ["full", "full"]


def test_pop_resets_count_without_lease(r: redis.Redis, key: str) -> None:
    s: SortedSet[str] = SortedSet(r, key)
    s.add("a", 1)
    [lease] = s.claim(lease=60)
    assert s.release(lease)
    # Nothing is in flight, but "a" has a delivery count, which pop clears.
    assert s.pop() == "a"
    s.add("a", 1)
    [again] = s.claim(lease=60)
    assert again.attempts == 1


@pytest.mark.single_server
def test_waiting_pop_blocks_after_short_script(r: redis.Redis, key: str) -> None:
    s: SortedSet[str] = SortedSet(r, key)
    r.config_resetstat()
    with pytest.raises(EmptyError):
        s.pop(timeout=0.2)
    calls = command_calls(r)
    # The short script found the set empty with nothing in flight, so the
    # wait is one BZPOPMIN, with a script before and after it, and not a
    # poll every 50 ms.
    assert calls["evalsha"] <= 2
    assert calls["bzpopmin"] == 1


def test_full_pop_record_drops_expired(monkeypatch: pytest.MonkeyPatch) -> None:
    record: dict[bytes, float] = {}
    monkeypatch.setattr(redset._leases, "_full_pop_until", record)
    monkeypatch.setattr(redset._leases, "FULL_POP_SECONDS", 0.0)
    for n in range(2000):
        redset._leases.record_full_pop(b"expired-%d" % n)
    # Each entry ended as it was made, so the record never grows past its
    # limit.
    assert len(record) <= 1024
    assert not redset._leases.skips_short_pop(b"expired-1999")

    monkeypatch.setattr(redset._leases, "FULL_POP_SECONDS", 60.0)
    redset._leases.record_full_pop(b"live")
    assert redset._leases.skips_short_pop(b"live")
