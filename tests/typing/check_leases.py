"""What type checkers infer for leases and ExpiringSet; checked by mypy, never run."""

from __future__ import annotations

import redis
import redis.asyncio
from typing_extensions import assert_type

import redset.asyncio
from redset import (
    BytesCodec,
    DeadLetter,
    ExpiringSet,
    Lease,
    ScheduledSet,
    SortedSet,
)


class IntCodec:
    def encode(self, value: int, /) -> bytes:
        return str(value).encode()

    def decode(self, data: bytes, /) -> int:
        return int(data)


def check_sync(r: redis.Redis) -> None:
    s = SortedSet(r, "k", codec=IntCodec(), max_attempts=3)
    leases = s.claim(2, lease=30, timeout=1)
    assert_type(leases, list[Lease[int]])
    assert_type(leases[0].item, int)
    assert_type(leases[0].member, bytes)
    assert_type(leases[0].token, str)
    assert_type(leases[0].deadline, float)
    assert_type(leases[0].attempts, int)
    assert_type(s.ack(leases[0]), bool)
    assert_type(s.ack_many(leases), int)
    assert_type(s.claim(lease=30, ack=leases[0]), list[Lease[int]])
    assert_type(s.claim(3, lease=30, ack=leases), list[Lease[int]])
    assert_type(s.release(leases[0]), bool)
    assert_type(s.extend(leases[0], 10), bool)
    assert_type(s.in_flight(), int)
    with s.claimed(lease=30) as lease:
        assert_type(lease, Lease[int])
    letters = s.dead_letters(limit=10)
    assert_type(letters, list[DeadLetter[int]])
    assert_type(letters[0].item, int | None)
    assert_type(s.dead_letter_count(), int)
    assert_type(s.requeue_dead_letters([b"1"]), int)
    assert_type(s.purge_dead_letters(), int)
    assert_type(ScheduledSet(r, "k").claim(lease=5), list[Lease[str]])
    assert_type(ScheduledSet(r, "k").release(leases[0], delay=5), bool)  # type: ignore[arg-type]  # a Lease[int] of another set


def check_expiring(r: redis.Redis) -> None:
    seen = ExpiringSet(r, "k", ttl=60)
    assert_type(seen, ExpiringSet[str])
    assert_type(ExpiringSet(r, "k", ttl=60, codec=BytesCodec()), ExpiringSet[bytes])
    assert_type(seen.add("a"), bool)
    assert_type(seen.add("a", ttl=5), bool)
    assert_type(seen.ttl("a"), float | None)
    assert_type(seen.discard("a"), bool)
    assert_type(seen.purge(), int)
    assert_type("a" in seen, bool)
    assert_type(len(seen), int)
    assert_type(list(seen), list[str])


async def check_async(ar: redis.asyncio.Redis) -> None:
    s = redset.asyncio.SortedSet(ar, "k", codec=IntCodec())
    leases = await s.claim(lease=30)
    assert_type(leases, list[Lease[int]])
    assert_type(await s.ack(leases[0]), bool)
    assert_type(await s.claim(lease=30, ack=leases), list[Lease[int]])
    async with s.claimed(lease=30) as lease:
        assert_type(lease, Lease[int])
    assert_type(await s.dead_letters(), list[DeadLetter[int]])
    seen = redset.asyncio.ExpiringSet(ar, "k", ttl=60)
    assert_type(await seen.add("a"), bool)
    assert_type(await seen.contains("a"), bool)
    assert_type(await seen.count(), int)
    assert_type([item async for item in seen], list[str])
