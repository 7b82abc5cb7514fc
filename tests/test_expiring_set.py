"""ExpiringSet: members that expire after a TTL, sync and async."""

from __future__ import annotations

import json
import multiprocessing
import time

import pytest
import redis
import redis.asyncio

import redset.asyncio
from clocks import FakeClock
from redset import ExpiringSet, InvalidValueError, WrongTypeError

ITEMS = [f"url-{n}" for n in range(300)]


def test_add_reports_new_or_expired(r: redis.Redis, key: str) -> None:
    clock = FakeClock()
    seen = ExpiringSet(r, key, ttl=10, clock=clock)
    assert seen.add("a") is True
    assert seen.add("a") is False
    clock.now += 9.5
    assert seen.add("a") is False
    clock.now += 10
    assert "a" not in seen
    assert seen.add("a") is True


def test_reads_see_live_members_only(r: redis.Redis, key: str) -> None:
    clock = FakeClock()
    seen = ExpiringSet(r, key, ttl=10, clock=clock)
    seen.add("short", ttl=1)
    seen.add("long")
    assert len(seen) == 2
    assert list(seen) == ["short", "long"]
    clock.now += 1
    assert "short" not in seen
    assert "long" in seen
    assert len(seen) == 1
    assert list(seen) == ["long"]
    assert seen.ttl("long") == 9.0
    assert seen.ttl("short") is None
    assert seen.ttl("never") is None


def test_discard_and_purge(r: redis.Redis, key: str) -> None:
    clock = FakeClock()
    seen = ExpiringSet(r, key, ttl=5, clock=clock)
    seen.add("a")
    seen.add("b", ttl=1)
    seen.add("c", ttl=1)
    clock.now += 1
    assert seen.discard("b") is False
    assert r.zcard(key) == 2
    assert seen.purge() == 1
    assert r.zcard(key) == 1
    assert seen.discard("a") is True
    assert seen.discard("a") is False
    seen.add("d")
    seen.clear()
    assert len(seen) == 0


def test_server_clock_expiry(r: redis.Redis, key: str) -> None:
    seen = ExpiringSet(r, key, ttl=0.05)
    assert seen.add("a") is True
    remaining = seen.ttl("a")
    assert remaining is not None
    assert 0 < remaining <= 0.05
    time.sleep(0.08)
    assert "a" not in seen
    assert seen.add("a") is True


def test_iteration_pages_through_many(r: redis.Redis, key: str) -> None:
    seen = ExpiringSet(r, key, ttl=60, codec=None)
    for n in range(2500):
        seen.add(f"m{n:04d}")
    assert len(list(seen)) == 2500


def test_serializer_and_bad_arguments(r: redis.Redis, key: str) -> None:
    seen = ExpiringSet(r, key, ttl=60, serializer=json)
    assert seen.add({"url": "x"}) is True
    assert {"url": "x"} in seen
    for ttl in (0, -1, 1e-7, 0.0009, float("nan"), float("inf")):
        with pytest.raises(InvalidValueError):
            ExpiringSet(r, key, ttl=ttl)
        with pytest.raises(InvalidValueError):
            seen.add({"url": "y"}, ttl=ttl)


def test_wrong_type_raises(r: redis.Redis, key: str) -> None:
    r.set(key, "x")
    with pytest.raises(WrongTypeError):
        ExpiringSet(r, key, ttl=1).add("a")


def add_all(url: str, key: str, start_at: float) -> list[str]:
    """Add every item once, starting at the same moment as the others."""
    seen = ExpiringSet(redis.Redis.from_url(url), key, ttl=60)
    time.sleep(max(start_at - time.time(), 0))
    return [item for item in ITEMS if seen.add(item)]


@pytest.mark.slow
def test_concurrent_add_has_one_winner(key: str, redis_url: str) -> None:
    processes = 4
    start_at = time.time() + 1.0
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes) as pool:
        results = pool.starmap(add_all, [(redis_url, key, start_at)] * processes)
    winners = [item for result in results for item in result]
    assert sorted(winners) == sorted(ITEMS)
    with redis.Redis.from_url(redis_url) as client:
        client.delete(key)


async def test_async_expiring_set(ar: redis.asyncio.Redis, key: str) -> None:
    clock = FakeClock()
    seen = redset.asyncio.ExpiringSet(ar, key, ttl=10, clock=clock)
    assert await seen.add("a") is True
    assert await seen.add("a") is False
    await seen.add("b", ttl=1)
    assert await seen.count() == 2
    assert [item async for item in seen] == ["b", "a"]
    clock.now += 1
    assert await seen.contains("b") is False
    assert await seen.ttl("a") == 9.0
    assert await seen.purge() == 1
    assert await seen.discard("a") is True
    await seen.clear()
    assert await seen.count() == 0


def test_clear_keeps_key_of_other_type(r: redis.Redis, key: str) -> None:
    r.set(key, "x")
    with pytest.raises(WrongTypeError):
        ExpiringSet(r, key, ttl=1).clear()
    assert r.get(key) == b"x"


async def test_async_clear_keeps_key_of_other_type(
    ar: redis.asyncio.Redis, key: str
) -> None:
    await ar.set(key, "x")
    with pytest.raises(WrongTypeError):
        await redset.asyncio.ExpiringSet(ar, key, ttl=1).clear()
    assert await ar.get(key) == b"x"


def test_contains_unencodable_is_false(r: redis.Redis, key: str) -> None:
    seen = ExpiringSet(r, key, ttl=10)
    seen.add("1")
    assert 1 not in seen
    assert "1" in seen


async def test_async_contains_unencodable_is_false(
    ar: redis.asyncio.Redis, key: str
) -> None:
    s = redset.asyncio.SortedSet(ar, key)
    seen = redset.asyncio.ExpiringSet(ar, key + ":seen", ttl=10)
    assert await s.contains(1) is False  # type: ignore[arg-type]  # the wrong type on purpose
    assert await seen.contains(1) is False  # type: ignore[arg-type]  # the wrong type on purpose
