"""The short paths the lease scripts take when nothing is in flight.

The model test in test_leases_model.py compares every rule on both paths
with small sets. These tests cover what it does not reach: batches larger
than one slice of script arguments, scores given as delays from the server
clock, and which commands the scripts send.
"""

from __future__ import annotations

import time

import pytest
import redis

from redset import ScheduledSet, SortedSet

# More pairs than one slice of the add script (500 pairs), with a repeat.
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
    # Something in flight sends the batch down the per-slice HMGET path.
    [lease] = leased.claim(lease=60)
    assert lease.item == "item-0000"
    plain.pop()

    added = {
        name: s.add_scored(batch_with_repeats(), update=policy)  # type: ignore[arg-type]  # a literal of UpdatePolicy
        for name, s in (("plain", plain), ("leased", leased))
    }
    # item-0000 is in flight in the leased set, so its add waits for the
    # lease, and counts as new as it does in the plain set.
    assert added["leased"] == added["plain"]
    expected = plain.client.zrange(plain.name, 0, -1, withscores=True)
    stored = leased.client.zrange(leased.name, 0, -1, withscores=True)
    assert stored == [pair for pair in expected if pair[0] != b"item-0000"]

    assert leased.ack(lease)
    after_ack = leased.client.zrange(leased.name, 0, -1, withscores=True)
    assert after_ack == expected


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
