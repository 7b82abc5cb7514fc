"""The asyncio classes: parity with the sync API, behaviour, cancellation.

The parity tests compare the two modules by introspection, so a method added
to one class without its twin fails here. The behavioural tests run the
scenarios of test_sorted_set.py through ``redis.asyncio`` on a real server.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import math
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import redis
import redis.asyncio
import redis.cluster

import redset
import redset._core
import redset.asyncio
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
    WrongTypeError,
)
from redset.asyncio import ScheduledSet, SortedSet, TimeSortedSet
from test_sorted_set import UPDATE_POLICY_CASES

CLASS_NAMES = ["SortedSet", "TimeSortedSet", "ScheduledSet", "ExpiringSet"]

# Sync dunder methods and the async method that replaces each one, because
# len(), `in` and `for` cannot await.
DUNDER_TWINS = {"__len__": "count", "__contains__": "contains", "__iter__": "__aiter__"}
TWINNED_DUNDERS = {*DUNDER_TWINS, "__aiter__"}

# Async names for sync operators whose signatures differ on purpose:
# ``s == other`` takes any object and ``items - s`` is a reflected operator.
OPERATOR_TWINS = {"equals": "__eq__", "missing": "__rsub__"}

# Parameters whose annotation differs on purpose: `x in s` accepts any
# object, while contains() takes the member type.
ANNOTATION_EXCEPTIONS = {("__contains__", "item")}


def public_methods(cls: type) -> dict[str, Callable[..., Any]]:
    """Return the public methods of ``cls`` and the dunders of DUNDER_TWINS."""
    methods: dict[str, Callable[..., Any]] = {}
    for name in dir(cls):
        attribute = inspect.getattr_static(cls, name)
        if not inspect.isfunction(attribute):
            continue
        if not name.startswith("_") or name in TWINNED_DUNDERS:
            methods[name] = attribute
    return methods


def async_return_annotation(annotation: str) -> str:
    return re.sub(r"\bIterator\[", "AsyncIterator[", annotation)


@pytest.mark.parametrize("class_name", CLASS_NAMES)
def test_every_sync_method_has_async_twin(class_name: str) -> None:
    sync_class = getattr(redset, class_name)
    async_class = getattr(redset.asyncio, class_name)
    async_methods = public_methods(async_class)
    for name, method in public_methods(sync_class).items():
        twin_name = DUNDER_TWINS.get(name, name)
        assert twin_name in async_methods, f"{class_name}.{twin_name} is missing"
        # Context managers compare by the generators they wrap.
        method = inspect.unwrap(method)
        twin = inspect.unwrap(async_methods[twin_name])
        if name == "__iter__":
            assert not inspect.iscoroutinefunction(twin)
        elif inspect.isgeneratorfunction(method):
            assert inspect.isasyncgenfunction(twin), f"{twin_name} is not async"
        else:
            assert inspect.iscoroutinefunction(twin), f"{twin_name} is not async"


@pytest.mark.parametrize("class_name", CLASS_NAMES)
def test_every_async_method_has_sync_twin(class_name: str) -> None:
    sync_methods = public_methods(getattr(redset, class_name))
    sync_names = {DUNDER_TWINS.get(name, name) for name in sync_methods}
    async_methods = public_methods(getattr(redset.asyncio, class_name))
    assert set(async_methods) - {"__aiter__", *OPERATOR_TWINS} <= sync_names
    assert "__aiter__" in async_methods
    if class_name != "ExpiringSet":
        for async_name, sync_name in OPERATOR_TWINS.items():
            assert async_name in async_methods
            assert sync_name in vars(redset.SortedSet)


@pytest.mark.parametrize("class_name", CLASS_NAMES)
def test_twin_signatures_match(class_name: str) -> None:
    async_methods = public_methods(getattr(redset.asyncio, class_name))
    for name, method in public_methods(getattr(redset, class_name)).items():
        sync_signature = inspect.signature(method)
        async_signature = inspect.signature(async_methods[DUNDER_TWINS.get(name, name)])
        sync_parameters = list(sync_signature.parameters.values())
        async_parameters = list(async_signature.parameters.values())
        assert [p.name for p in async_parameters] == [p.name for p in sync_parameters]
        assert [p.kind for p in async_parameters] == [p.kind for p in sync_parameters]
        assert [p.default for p in async_parameters] == [
            p.default for p in sync_parameters
        ]
        for sync_parameter, async_parameter in zip(
            sync_parameters, async_parameters, strict=True
        ):
            if (name, sync_parameter.name) in ANNOTATION_EXCEPTIONS:
                continue
            # A sync set is an Iterable, so its methods take any Iterable; an
            # async set is not, so the async methods name it besides Iterable.
            async_annotation = async_parameter.annotation
            if async_annotation == "SortedSet[T] | Iterable[T]":
                async_annotation = "Iterable[T]"
            assert async_annotation == sync_parameter.annotation, (
                f"{class_name}.{name} parameter {sync_parameter.name}"
            )
        assert async_signature.return_annotation == async_return_annotation(
            sync_signature.return_annotation
        ), f"{class_name}.{name} return type"


@pytest.mark.parametrize("class_name", CLASS_NAMES)
def test_twins_share_class_defaults(class_name: str) -> None:
    sync_class = getattr(redset, class_name)
    async_class = getattr(redset.asyncio, class_name)
    assert async_class.default_update == sync_class.default_update
    assert async_class.due_only == sync_class.due_only
    assert async_class.time_scored == sync_class.time_scored
    assert async_class.__init__ is sync_class.__init__


def test_module_docstring_lists_dunder_twins() -> None:
    doc = redset.asyncio.__doc__
    assert doc is not None
    assert re.search(r"``len\(s\)``\s+``await s\.count\(\)``", doc)
    assert re.search(r"``x in s``\s+``await s\.contains\(x\)``", doc)
    assert re.search(r"``for x in s``\s+``async for x in s``", doc)
    for twin in DUNDER_TWINS.values():
        assert twin == "__aiter__" or f"s.{twin}(" in doc


# -- adding ---------------------------------------------------------------


async def test_add_returns_true_only_for_new_items(
    ar: redis.asyncio.Redis, key: str
) -> None:
    s = SortedSet(ar, key)
    assert await s.add("a") is True
    assert await s.add("a") is False
    assert await s.count() == 1
    assert await s.contains("a") is True
    assert await s.contains("b") is False


async def test_explicit_zero_score_is_kept(ar: redis.asyncio.Redis, key: str) -> None:
    s = SortedSet(ar, key, scorer=lambda item: 5.0)
    await s.add("zero", score=0)
    await s.add("scored")
    assert await s.score("zero") == 0.0
    assert await s.score("scored") == 5.0
    assert await s.score("absent") is None
    assert await s.peek() == "zero"


async def test_equal_scores_come_out_in_byte_order(
    ar: redis.asyncio.Redis, key: str
) -> None:
    s = SortedSet(ar, key, codec=BytesCodec())
    for member in [b"b", b"\xff", b"a", b"ab", b"\x00"]:
        await s.add(member, score=1)
    assert await s.take(10) == [b"\x00", b"a", b"ab", b"b", b"\xff"]


@pytest.mark.parametrize(("policy", "second_score", "expected"), UPDATE_POLICY_CASES)
async def test_update_policies(
    ar: redis.asyncio.Redis,
    key: str,
    policy: str,
    second_score: float,
    expected: float,
) -> None:
    s = SortedSet(ar, key)
    assert await s.add("item", 3.0)
    assert await s.add("item", second_score, update=policy) is False  # type: ignore[arg-type]  # each policy from the table
    assert await s.score("item") == expected


async def test_invalid_input_raises_before_writing(
    ar: redis.asyncio.Redis, key: str
) -> None:
    s = SortedSet(ar, key)
    with pytest.raises(InvalidValueError, match="update must be one of"):
        await s.add("a", update="never")  # type: ignore[arg-type]  # invalid on purpose
    with pytest.raises(InvalidScoreError):
        await s.add("a", math.nan)
    with pytest.raises(InvalidScoreError):
        await s.add_scored([("a", 1.0), ("b", math.nan)])
    with pytest.raises(InvalidTypeError):
        await s.add("a", "1")  # type: ignore[arg-type]  # invalid on purpose
    with pytest.raises(EncodeError) as caught:
        await s.update(["fine", 5])  # type: ignore[list-item]  # invalid on purpose
    assert caught.value.value == 5
    assert await ar.exists(key) == 0


async def test_infinite_scores_round_trip(ar: redis.asyncio.Redis, key: str) -> None:
    s = SortedSet(ar, key)
    await s.add("high", math.inf)
    await s.add("low", -math.inf)
    await s.add("middle", 0)
    pairs = [pair async for pair in s.items()]
    assert pairs == [("low", -math.inf), ("middle", 0.0), ("high", math.inf)]


async def test_update_counts_new_items(ar: redis.asyncio.Redis, key: str) -> None:
    s = SortedSet(ar, key)
    assert await s.update(["a", "b", "a"]) == 2
    assert await s.update(["b", "c"]) == 1
    assert await s.update([]) == 0
    assert sorted([item async for item in s]) == ["a", "b", "c"]


async def test_add_scored_applies_pairs_in_order(
    ar: redis.asyncio.Redis, key: str
) -> None:
    s = SortedSet(ar, key)
    assert await s.add_scored([("a", 3), ("b", 1), ("a", 2)]) == 2
    assert [pair async for pair in s.items()] == [("b", 1.0), ("a", 2.0)]
    assert await s.add_scored([("a", 9), ("c", 0)], update="keep") == 1
    assert await s.score("a") == 2.0


# -- removing -------------------------------------------------------------


async def test_pop_and_take(ar: redis.asyncio.Redis, key: str) -> None:
    s = SortedSet(ar, key)
    await s.add_scored([("c", 3), ("a", 1), ("b", 2)])
    assert await s.pop() == "a"
    assert await s.take(0) == []
    assert await s.take(5) == ["b", "c"]
    with pytest.raises(EmptyError) as caught:
        await s.pop()
    assert isinstance(caught.value, KeyError)
    assert caught.value.key == key
    assert await s.take(3) == []


async def test_take_negative_count_raises(ar: redis.asyncio.Redis, key: str) -> None:
    s = SortedSet(ar, key)
    await s.add("a")
    with pytest.raises(InvalidValueError):
        await s.take(-1)
    with pytest.raises(InvalidValueError):
        await s.pop(timeout=-1)
    with pytest.raises(InvalidValueError):
        await s.pop(timeout=math.nan)
    assert await s.count() == 1


@pytest.mark.parametrize("timeout", [0.0005, 0.1])
async def test_blocking_pop_on_empty_set_returns(
    ar: redis.asyncio.Redis, key: str, timeout: float
) -> None:
    s = SortedSet(ar, key)
    started = time.monotonic()
    with pytest.raises(EmptyError):
        await s.pop(timeout=timeout)
    assert await s.take(3, timeout=timeout) == []
    assert time.monotonic() - started < 1.0


async def test_blocking_pop_gets_item_added_later(
    ar: redis.asyncio.Redis, key: str
) -> None:
    s = SortedSet(ar, key)

    async def add_soon() -> None:
        await asyncio.sleep(0.1)
        await s.update(["x", "y"])

    # The producer shares the client: its pool gives the add another
    # connection while BZPOPMIN waits on one.
    producer = asyncio.create_task(add_soon())
    assert await s.take(5, timeout=2) == ["x", "y"]
    await producer
    assert await s.count() == 0


async def test_long_blocking_pop_outlasts_socket_timeout(
    redis_url: str, r: redis.Redis, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Scaled down: BZPOPMIN slices of 0.2 s under a 0.5 s socket timeout
    # stand for 1 s slices under redis-py's default of 5 s. Redis can end a
    # blocking command about 100 ms late at its default hz of 10.
    monkeypatch.setattr(redset._core, "MAX_BLOCK_SECONDS", 0.2)
    client = redis.asyncio.Redis.from_url(redis_url, socket_timeout=0.5)
    try:
        s = SortedSet(client, key)
        started = time.monotonic()
        with pytest.raises(EmptyError):
            await s.pop(timeout=0.8)
        assert 0.75 < time.monotonic() - started < 2
        await s.add("later")
        assert await s.pop(timeout=0.8) == "later"
    finally:
        await client.aclose()


async def test_peek_positions(ar: redis.asyncio.Redis, key: str) -> None:
    s = SortedSet(ar, key)
    with pytest.raises(EmptyError):
        await s.peek()
    assert await s.peek_score() is None
    await s.add_scored([("a", 1), ("b", 2)])
    assert await s.peek() == "a"
    assert await s.peek(1) == "b"
    assert await s.peek_score() == 1.0
    with pytest.raises(EmptyError, match="position 2"):
        await s.peek(2)
    with pytest.raises(InvalidValueError):
        await s.peek(-1)
    assert await s.count() == 2


async def test_discard_remove_clear(ar: redis.asyncio.Redis, key: str) -> None:
    s = SortedSet(ar, key)
    await s.update(["a", "b"])
    assert await s.discard("a") is True
    assert await s.discard("a") is False
    await s.remove("b")
    with pytest.raises(MemberNotFoundError) as caught:
        await s.remove("b")
    assert isinstance(caught.value, KeyError)
    assert caught.value.item == "b"
    await s.update(["c"])
    await s.clear()
    assert await s.count() == 0
    assert await s.contains("c") is False


# -- iterating ------------------------------------------------------------


async def test_iteration_pages_through_large_set(
    ar: redis.asyncio.Redis, key: str
) -> None:
    s = SortedSet(ar, key)
    # 2,500 members with many tied scores cross page borders inside ties.
    await s.add_scored((f"m{i:05d}", i // 700) for i in range(2500))
    seen = [pair async for pair in s.items()]
    assert [item for item, _ in seen] == [f"m{i:05d}" for i in range(2500)]
    assert [score for _, score in seen] == [float(i // 700) for i in range(2500)]


async def test_iteration_survives_pops_at_the_front(
    ar: redis.asyncio.Redis, key: str
) -> None:
    s = SortedSet(ar, key)
    await s.add_scored((f"m{i:05d}", i) for i in range(2500))
    iterator = aiter(s)
    first = [await anext(iterator) for _ in range(1000)]
    # A consumer pops m00000 to m01499 while the iteration is between pages.
    await s.take(1500)
    rest = [item async for item in iterator]
    assert first == [f"m{i:05d}" for i in range(1000)]
    assert rest == [f"m{i:05d}" for i in range(1500, 2500)]


# -- TimeSortedSet and ScheduledSet ---------------------------------------


async def test_time_sorted_set_keeps_insertion_order(
    ar: redis.asyncio.Redis, key: str
) -> None:
    s = TimeSortedSet(ar, key, clock=FakeClock())
    for item in ["z", "a", "m"]:
        await s.add(item)
    await s.update(["b", "y"])
    assert await s.take(10) == ["z", "a", "m", "b", "y"]


async def test_time_sorted_set_readd_keeps_place(
    ar: redis.asyncio.Redis, key: str
) -> None:
    s = TimeSortedSet(ar, key)
    await s.add("hot")
    await s.add("cold")
    for _ in range(5):
        assert await s.add("hot") is False
    assert await s.pop() == "hot"


async def test_scheduled_set_sees_only_due_items(
    ar: redis.asyncio.Redis, key: str
) -> None:
    clock = FakeClock(1000.0)
    s = ScheduledSet(ar, key, clock=clock)
    await s.add("later", delay=10)
    await s.add("now")
    await s.add("sooner", at=1005.0)
    assert await s.count() == 3
    assert await s.available() == 1
    assert await s.peek() == "now"
    with pytest.raises(EmptyError):
        await s.peek(1)
    assert await s.take(10) == ["now"]
    with pytest.raises(EmptyError, match="is due"):
        await s.pop()
    clock.now = 1010.0
    assert await s.available() == 2
    assert await s.peek_score() == 1005.0
    assert await s.take(10) == ["sooner", "later"]


async def test_scheduled_set_server_clock(ar: redis.asyncio.Redis, key: str) -> None:
    s = ScheduledSet(ar, key)
    await s.add("now")
    await s.add("later", delay=timedelta(hours=1))
    await s.add("past", at=datetime(2001, 1, 1, tzinfo=timezone.utc))
    server_now = float((await ar.time())[0])
    assert await s.score("later") == pytest.approx(server_now + 3600, abs=5)
    assert await s.available() == 2
    assert await s.take(10) == ["past", "now"]


async def test_scheduled_set_blocking_pop_waits_for_due(
    ar: redis.asyncio.Redis, key: str
) -> None:
    s = ScheduledSet(ar, key)
    await s.add("soon", delay=0.2)
    started = time.monotonic()
    assert await s.pop(timeout=2) == "soon"
    assert 0.1 < time.monotonic() - started < 1.5
    with pytest.raises(EmptyError):
        await s.pop(timeout=0.0005)


async def test_scheduled_set_keeps_earlier_due_time(
    ar: redis.asyncio.Redis, key: str
) -> None:
    s = ScheduledSet(ar, key, clock=FakeClock(100.0))
    await s.add("job", delay=50)
    await s.add("job", delay=10)
    await s.add("job", delay=90)
    assert await s.score("job") == 110.0
    await s.add("job", delay=90, update="replace")
    assert await s.score("job") == 190.0


async def test_scheduled_set_rejects_conflicting_times(
    ar: redis.asyncio.Redis, key: str
) -> None:
    s = ScheduledSet(ar, key)
    with pytest.raises(InvalidValueError, match="at most one"):
        await s.add("x", at=1.0, delay=1.0)
    with pytest.raises(InvalidValueError, match="naive"):
        await s.add("x", at=datetime(2030, 1, 1))
    with pytest.raises(InvalidValueError):
        await s.add("x", delay=math.inf)
    assert await ar.exists(key) == 0


# -- errors and compatibility ---------------------------------------------


async def test_wrong_redis_type_names_the_key(
    ar: redis.asyncio.Redis, key: str
) -> None:
    await ar.set(key, "a string")
    with pytest.raises(WrongTypeError) as caught:
        await SortedSet(ar, key).add("a")
    assert caught.value.key == key
    assert caught.value.redis_type == "string"
    assert await ar.get(key) == b"a string"
    with pytest.raises(WrongTypeError):
        await ScheduledSet(ar, key).pop()


async def test_constructor_rejects_bad_arguments(
    ar: redis.asyncio.Redis, key: str
) -> None:
    with pytest.raises(InvalidValueError):
        SortedSet(ar, "")
    with pytest.raises(InvalidTypeError):
        SortedSet(object(), key)
    with pytest.raises(InvalidTypeError, match="pipeline"):
        SortedSet(ar.pipeline(), key)
    with pytest.raises(InvalidValueError, match="update must be one of"):
        SortedSet(ar, key, update="sometimes")  # type: ignore[call-overload]  # invalid on purpose


async def test_decode_responses_client_rejected(redis_url: str, key: str) -> None:
    client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    try:
        with pytest.raises(InvalidValueError, match="decode_responses"):
            SortedSet(client, key)
    finally:
        await client.aclose()


async def test_undecodable_member_moves_to_dead_letters(
    ar: redis.asyncio.Redis, key: str, caplog: pytest.LogCaptureFixture
) -> None:
    s = SortedSet(ar, key)
    await ar.zadd(key, {b"\xff\xfe": 1, b"good": 2})
    with pytest.raises(DecodeError) as caught:
        await s.peek()
    assert caught.value.raw == b"\xff\xfe"
    assert await s.count() == 2
    with caplog.at_level(logging.WARNING, logger="redset"):
        assert await s.pop() == "good"
    dead = await ar.zrange(s.dead_letter_key, 0, -1, withscores=True)
    assert dead == [(b"\xff\xfe", 1.0)]
    assert "dead letters" in caplog.text


async def test_zero_five_readme_example(ar: redis.asyncio.Redis, key: str) -> None:
    ss = TimeSortedSet(ar, key, serializer=json)
    await ss.add({"foo": "bar1"})
    await ss.add({"foo": "bar2"})
    await ss.add({"foo": "bar3"})
    assert await ss.count() == 3
    assert await ss.peek() == {"foo": "bar1"}
    assert await ss.pop() == {"foo": "bar1"}
    assert await ss.take(2) == [{"foo": "bar2"}, {"foo": "bar3"}]


# -- cancellation and the event loop --------------------------------------

# Keeps the server busy for ARGV[1] milliseconds, so that a command sent
# meanwhile waits in the socket with its reply still to come.
BUSY_SCRIPT = """
local start = redis.call('TIME')
local stop = start[1] * 1000000 + start[2] + ARGV[1] * 1000
repeat
  local now = redis.call('TIME')
until now[1] * 1000000 + now[2] >= stop
return 1
"""


@pytest.fixture(params=["pool", "single-connection"])
async def client(
    request: pytest.FixtureRequest, redis_url: str, ar: redis.asyncio.Redis
) -> AsyncIterator[redis.asyncio.Redis]:
    """The shared pooled client, or one that reuses a single connection."""
    if request.param == "pool":
        yield ar
        return
    single = redis.asyncio.Redis.from_url(redis_url, single_connection_client=True)
    try:
        yield single
    finally:
        await single.aclose()


def blocked_clients(observer: redis.Redis | redis.cluster.RedisCluster) -> int:
    if isinstance(observer, redis.cluster.RedisCluster):
        # A cluster client sends INFO to one node unless given target nodes, and
        # the blocked pop waits on the node that owns the key.
        replies = observer.info(
            "clients", target_nodes=redis.cluster.RedisCluster.PRIMARIES
        )
        return sum(int(reply["blocked_clients"]) for reply in replies.values())
    return int(observer.info("clients")["blocked_clients"])


async def wait_for_blocked_clients(
    observer: redis.Redis | redis.cluster.RedisCluster, expected: int
) -> None:
    deadline = time.monotonic() + 5
    while blocked_clients(observer) != expected:
        assert time.monotonic() < deadline, f"blocked_clients never reached {expected}"
        await asyncio.sleep(0.01)


async def cancel(task: asyncio.Task[Any]) -> None:
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_cancelled_pop_is_at_most_once(
    client: redis.asyncio.Redis, r: redis.Redis, key: str
) -> None:
    s = SortedSet(client, key)
    await s.add_scored([("first", 1), ("second", 2)])
    r.ping()
    # Wide margins: the pop must be sent after the script starts and be
    # cancelled before it ends, also on a loaded machine.
    busy = asyncio.create_task(asyncio.to_thread(r.eval, BUSY_SCRIPT, 0, "600"))
    await asyncio.sleep(0.15)
    pop = asyncio.create_task(s.pop())
    await asyncio.sleep(0.15)
    await cancel(pop)
    await busy

    # redis-py closes the connection of a cancelled command. Redis may still
    # have run the ZPOPMIN sent on it (both outcomes occur on Redis 6.2 and
    # 7.0), so "first" is either waiting or gone with its reply.
    remaining = list(redset.SortedSet(r, key))
    assert remaining in (["first", "second"], ["second"])
    assert await client.echo(b"next") == b"next"
    assert await s.peek() == remaining[0]
    assert await s.take(5) == remaining


@pytest.mark.parametrize(
    "wait",
    [
        lambda s: s.pop(timeout=5),
        lambda s: s.take(3, timeout=5),
    ],
    ids=["pop", "take"],
)
async def test_cancelled_blocking_pop_releases_wait(
    client: redis.asyncio.Redis,
    r: redis.Redis,
    key: str,
    wait: Callable[[SortedSet[str]], Coroutine[Any, Any, object]],
) -> None:
    s = SortedSet(client, key)
    await s.count()
    waiter = asyncio.create_task(wait(s))
    await wait_for_blocked_clients(r, 1)
    await cancel(waiter)

    # The BZPOPMIN connection is closed, so the server stops waiting on it
    # and an item added now stays for the next consumer.
    await wait_for_blocked_clients(r, 0)
    r.zadd(key, {"later": 1})
    await asyncio.sleep(0.05)
    assert r.zcard(key) == 1
    assert await client.echo(b"next") == b"next"
    assert await s.pop() == "later"


async def test_wait_for_timeout_on_blocking_pop(
    ar: redis.asyncio.Redis,
    r: redis.Redis,
    key: str,
    request: pytest.FixtureRequest,
) -> None:
    if request.node.callspec.id == "cluster":
        # NOTE: on the cluster client this failed in 3 of about 25 runs on
        # one machine: the cancellation from wait_for was lost, and the pop
        # ran to its own 5 s timeout and raised EmptyError. Where it is lost,
        # in redis.asyncio.cluster or in redset, is not known yet.
        request.applymarker(
            pytest.mark.xfail(reason="wait_for cancellation is sometimes lost")
        )
    s = SortedSet(ar, key)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(s.pop(timeout=5), 0.2)
    await wait_for_blocked_clients(r, 0)
    await s.add("later")
    assert await s.pop(timeout=1) == "later"


async def test_cancelled_scheduled_poll_keeps_items(
    client: redis.asyncio.Redis, r: redis.Redis, key: str
) -> None:
    s = ScheduledSet(client, key)
    await s.add("future", delay=60)
    poller = asyncio.create_task(s.pop(timeout=5))
    await asyncio.sleep(0.2)
    await cancel(poller)
    await s.add("due")
    assert r.zcard(key) == 2
    assert await s.pop() == "due"
    assert await s.count() == 1


async def tick_while(waiting: Awaitable[object]) -> tuple[int, float]:
    """Count 10 ms ticks of another task while ``waiting`` runs."""
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    started = time.monotonic()
    try:
        with pytest.raises(EmptyError):
            await waiting
    finally:
        task.cancel()
    return ticks, time.monotonic() - started


async def test_blocking_pop_leaves_loop_running(
    ar: redis.asyncio.Redis, key: str
) -> None:
    ticks, elapsed = await tick_while(SortedSet(ar, key).pop(timeout=0.5))
    assert 0.45 < elapsed < 2
    # About 50 ticks fit in 0.5 s. A blocked loop would tick at most once.
    assert ticks >= 20


async def test_scheduled_poll_leaves_loop_running(
    ar: redis.asyncio.Redis, key: str
) -> None:
    s = ScheduledSet(ar, key)
    await s.add("future", delay=60)
    ticks, elapsed = await tick_while(s.pop(timeout=0.5))
    assert 0.45 < elapsed < 2
    assert ticks >= 20
