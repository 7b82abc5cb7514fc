"""Set protocol and set algebra on a real server, checked against Python's set."""

from __future__ import annotations

import itertools
import json
import operator
import time
from collections.abc import MutableSet
from typing import Any

import pytest
import redis
import redis.asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import redset.asyncio
from redset import (
    BytesCodec,
    EmptyError,
    IncompatibleSetsError,
    InvalidValueError,
    MemberNotFoundError,
    ScheduledSet,
    SortedSet,
    TextCodec,
    TimeSortedSet,
    WrongTypeError,
)

# Few distinct members, so generated sets overlap often; scores repeat so
# that ties in byte order are exercised too.
MEMBERS = st.sets(st.sampled_from("abcdefghij"), max_size=8)
SCORED = st.dictionaries(
    st.sampled_from("abcdefghij"), st.sampled_from([0.0, 1.0, 2.5, -3.0]), max_size=8
)
ALGEBRA_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def make_pair(
    r: redis.Redis, key: str, first: dict[str, float], second: dict[str, float]
) -> tuple[SortedSet[str], SortedSet[str]]:
    a, b = SortedSet(r, f"{key}:a"), SortedSet(r, f"{key}:b")
    for s, members in ((a, first), (b, second)):
        s.clear()
        s.add_scored(members.items())
    return a, b


def temporary_keys(r: redis.Redis, key: str) -> list[bytes]:
    return list(r.scan_iter(match=f"*{key}*tmp:*"))


def in_score_order(result: list[str], scores: dict[str, float]) -> bool:
    order = [(scores[m], m.encode()) for m in result]
    return order == sorted(order)


# -- the MutableSet protocol ----------------------------------------------------


@pytest.mark.parametrize("cls", [SortedSet, TimeSortedSet, ScheduledSet])
def test_classes_are_mutable_sets(
    r: redis.Redis, key: str, cls: type[SortedSet[str]]
) -> None:
    s = cls(r, key)
    assert isinstance(s, MutableSet)
    with pytest.raises(TypeError):
        hash(s)


def test_protocol_methods_behave_as_set(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    assert s == set()
    s.add("a")
    s |= ["b", "c"]
    assert s == {"a", "b", "c"}
    assert s != {"a"}
    s -= ["b"]
    assert s == {"a", "c"}
    s.remove("a")
    with pytest.raises(KeyError):
        s.remove("a")
    assert s.pop() == "c"
    with pytest.raises(KeyError):
        s.pop()


def test_remove_raises_member_not_found(r: redis.Redis, key: str) -> None:
    with pytest.raises(MemberNotFoundError):
        SortedSet(r, key).remove("absent")


def test_python_set_on_left_side(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.update(["a", "b"])
    assert set({"b", "c"} | s) == {"a", "b", "c"}
    # set's own operators return NotImplemented for a non-set operand, so
    # these run the set's reflected methods and return lists, although type
    # checkers read typeshed's set.__and__ and infer set[str].
    assert list({"b", "c"} & s) == ["b"]
    assert list({"b", "c"} - s) == ["c"]
    assert (["c", "a", "c", "d"] - s) == ["c", "d"]
    assert {"a"} <= s
    assert {"a", "b"} == s
    assert not {"a", "z"} <= s


def test_comparison_with_non_set_is_not_implemented(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add("a")
    assert s != ["a"]
    with pytest.raises(TypeError):
        operator.le(s, ["a"])


def test_scheduled_pop_sees_only_due_items(r: redis.Redis, key: str) -> None:
    s = ScheduledSet(r, key)
    s.add("later", delay=3600)
    assert len(s) == 1
    with pytest.raises(EmptyError):
        s.pop()


# -- combining, checked against Python's set -------------------------------------


@ALGEBRA_SETTINGS
@given(first=SCORED, second=SCORED)
def test_read_operations_match_python(
    r: redis.Redis, key: str, first: dict[str, float], second: dict[str, float]
) -> None:
    a, b = make_pair(r, key, first, second)
    x, y = set(first), set(second)
    scores = {**second, **first}
    for other in (b, sorted(y)):
        assert set(a.union(other)) == x | y
        assert set(a.intersection(other)) == x & y
        assert set(a.difference(other)) == x - y
        assert set(a.symmetric_difference(other)) == x ^ y
        assert set(a | other) == x | y
        assert set(a & other) == x & y
        assert set(a - other) == x - y
        assert set(a ^ other) == x ^ y
    assert in_score_order(a.difference(b), first)
    assert in_score_order(a.intersection(sorted(y)), first)
    union = a.union(b)
    assert len(union) == len(x | y)
    min_scores = {m: min(first.get(m, 1e9), second.get(m, 1e9)) for m in x | y}
    assert in_score_order(union, min_scores)
    assert scores.keys() >= set(union)
    assert temporary_keys(r, key) == []


@ALGEBRA_SETTINGS
@given(first=SCORED, second=SCORED)
def test_comparisons_match_python(
    r: redis.Redis, key: str, first: dict[str, float], second: dict[str, float]
) -> None:
    a, b = make_pair(r, key, first, second)
    x, y = set(first), set(second)
    for other in (b, y):
        assert (a <= other) == (x <= y)
        assert (a < other) == (x < y)
        assert (a >= other) == (x >= y)
        assert (a > other) == (x > y)
        assert (a == other) == (x == y)
        assert a.issubset(other) == x.issubset(y)
        assert a.issuperset(other) == x.issuperset(y)
        assert a.isdisjoint(other) == x.isdisjoint(y)
    assert a.issubset(sorted(y)) == x.issubset(y)
    assert a.isdisjoint(iter(sorted(y))) == x.isdisjoint(y)
    assert (a == a) is True
    assert a <= a
    assert not a < a
    assert temporary_keys(r, key) == []


@ALGEBRA_SETTINGS
@given(
    first=SCORED,
    second=SCORED,
    operation=st.sampled_from(["|=", "&=", "-=", "^="]),
    plain=st.booleans(),
)
def test_in_place_operations_match_python(
    r: redis.Redis,
    key: str,
    first: dict[str, float],
    second: dict[str, float],
    operation: str,
    plain: bool,
) -> None:
    a, b = make_pair(r, key, first, second)
    x, y = set(first), set(second)
    other: Any = sorted(y) if plain else b
    if operation == "|=":
        a |= other
        x |= y
    elif operation == "&=":
        a &= other
        x &= y
    elif operation == "-=":
        a -= other
        x -= y
    else:
        a ^= other
        x ^= y
    assert set(a) == x
    assert len(a) == len(x)
    assert set(b) == y
    assert temporary_keys(r, key) == []


@pytest.mark.parametrize(
    ("first", "second"),
    [({}, {}), ({"a": 1.0}, {}), ({}, {"a": 1.0}), ({"a": 1.0}, {"a": 2.0})],
)
def test_empty_and_identical_sets(
    r: redis.Redis, key: str, first: dict[str, float], second: dict[str, float]
) -> None:
    a, b = make_pair(r, key, first, second)
    x, y = set(first), set(second)
    assert set(a | b) == x | y
    assert set(a & b) == x & y
    assert set(a - a) == set()
    assert set(a & a) == x
    assert (a == b) == (x == y)
    assert a.isdisjoint([]) is True
    a -= a
    assert len(a) == 0


# -- scores --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("aggregate", "expected"), [("min", 1.0), ("max", 3.0), ("sum", 4.0)]
)
def test_union_aggregate_chooses_score(
    r: redis.Redis, key: str, aggregate: Any, expected: float
) -> None:
    a, b = make_pair(r, key, {"x": 1.0, "y": 5.0}, {"x": 3.0, "z": 2.0})
    a.union_update(b, aggregate=aggregate)
    assert a.score("x") == expected
    assert a.score("y") == 5.0
    assert a.score("z") == 2.0


def test_union_default_keeps_lower_score(r: redis.Redis, key: str) -> None:
    a, b = make_pair(r, key, {"x": 4.0, "y": 1.0}, {"x": 0.5, "z": 2.0})
    assert a.union(b) == ["x", "y", "z"]
    a |= b
    assert list(a.items()) == [("x", 0.5), ("y", 1.0), ("z", 2.0)]


def test_intersection_scores(r: redis.Redis, key: str) -> None:
    a, b = make_pair(r, key, {"x": 4.0, "y": 1.0}, {"x": 0.5, "y": 9.0})
    a.intersection_update(b, aggregate="max")
    assert list(a.items()) == [("x", 4.0), ("y", 9.0)]
    a.intersection_update(["y", "absent"])
    assert list(a.items()) == [("y", 9.0)]


def test_plain_items_in_union_are_scored_by_scorer(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key, scorer=len)
    s.add("long", score=0.5)
    assert s.union(["zz", "long", "a"]) == ["long", "a", "zz"]
    s |= ["zz"]
    assert s.score("zz") == 2.0


def test_difference_keeps_own_scores(r: redis.Redis, key: str) -> None:
    a, b = make_pair(r, key, {"x": 4.0, "y": 1.0}, {"x": 0.5})
    a -= b
    assert list(a.items()) == [("y", 1.0)]


def test_update_with_set_returns_new_count(r: redis.Redis, key: str) -> None:
    a, b = make_pair(r, key, {"x": 4.0}, {"x": 0.5, "z": 2.0})
    assert a.update(b) == 1
    assert a.score("x") == 0.5
    with pytest.raises(InvalidValueError):
        a.update(b, update="keep")


def test_invalid_aggregate_is_rejected(r: redis.Redis, key: str) -> None:
    a, b = make_pair(r, key, {"x": 1.0}, {})
    with pytest.raises(InvalidValueError):
        a.union(b, aggregate="avg")  # type: ignore[arg-type]  # an invalid value


# -- scheduled and structured members -------------------------------------------


def test_scheduled_algebra_sees_items_not_due(r: redis.Redis, key: str) -> None:
    a = ScheduledSet(r, f"{key}:a")
    b = ScheduledSet(r, f"{key}:b")
    a.add("later", delay=3600)
    a.add("now")
    b.add("now")
    assert a - b == ["later"]
    assert b < a
    assert a.available() == 1


def test_scheduled_union_with_items_uses_server_time(r: redis.Redis, key: str) -> None:
    s = ScheduledSet(r, key)
    s.add("far", delay=3600)
    s |= ["soon"]
    score = s.score("soon")
    assert score is not None
    assert abs(score - time.time()) < 5
    assert s.union(["x"])[-1] == "far"


def test_unhashable_members_come_back_as_list(r: redis.Redis, key: str) -> None:
    a = SortedSet(r, f"{key}:a", serializer=json)
    b = SortedSet(r, f"{key}:b", serializer=json)
    a.add_scored([({"id": 1}, 1.0), ({"id": 2}, 2.0)])
    b.add_scored([({"id": 2}, 0.0)])
    assert a - b == [{"id": 1}]
    assert a & b == [{"id": 2}]
    assert a.isdisjoint([{"id": 3}])
    assert not a.isdisjoint([{"id": 3}, {"id": 2}])


def test_isdisjoint_stops_at_first_member(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add("7")
    assert s.isdisjoint(str(n) for n in itertools.count()) is False


def test_isdisjoint_reads_in_batches(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add("2500")
    assert s.isdisjoint(str(n) for n in range(2000)) is True
    assert s.isdisjoint(str(n) for n in range(3000)) is False


def test_large_plain_operand(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.update(str(n) for n in range(0, 5000, 2))
    items = [str(n) for n in range(5000)]
    assert s <= set(items)
    assert len(s & items) == 2500
    s |= items
    assert len(s) == 5000
    assert temporary_keys(r, key) == []


# -- errors --------------------------------------------------------------------


def test_different_codecs_are_rejected(r: redis.Redis, key: str) -> None:
    text = SortedSet(r, f"{key}:a")
    raw = SortedSet(r, f"{key}:b", codec=BytesCodec())
    with pytest.raises(IncompatibleSetsError) as caught:
        text.union(raw)  # type: ignore[arg-type]  # members of another type
    assert isinstance(caught.value, ValueError)
    assert caught.value.key == f"{key}:a"
    assert caught.value.other_key == f"{key}:b"
    with pytest.raises(IncompatibleSetsError):
        text == raw  # noqa: B015  # the comparison itself must raise


def test_equal_codecs_are_accepted(r: redis.Redis, key: str) -> None:
    a = SortedSet(r, f"{key}:a", codec=TextCodec())
    b = SortedSet(r, f"{key}:b", codec=TextCodec())
    b.add("x")
    assert a | b == ["x"]


def test_clients_of_other_databases_are_rejected(
    r: redis.Redis, redis_url: str, key: str
) -> None:
    other_client = redis.Redis.from_url(redis_url, db=1)
    try:
        a = SortedSet(r, f"{key}:a")
        b = SortedSet(other_client, f"{key}:b")
        with pytest.raises(IncompatibleSetsError):
            a.difference_update(b)
        same_server = SortedSet(redis.Redis.from_url(redis_url), f"{key}:c")
        same_server.add("x")
        assert a | same_server == ["x"]
    finally:
        other_client.close()


class ClusterStyleClient(redis.Redis):
    """A single-server client that carries a nodes manager, as cluster clients do.

    It makes the slot check run; the check raises before any command is sent.
    """

    nodes_manager = object()


def test_cluster_keys_in_other_slots_are_rejected(redis_url: str, key: str) -> None:
    client = ClusterStyleClient.from_url(redis_url)
    try:
        a = SortedSet(client, f"{key}:a")
        b = SortedSet(client, f"{key}:b")
        with pytest.raises(IncompatibleSetsError, match="slots"):
            a.union(b)
        tagged = SortedSet(client, f"{{{key}:a}}:other")
        assert a.union(tagged) == []
    finally:
        client.close()


def test_failed_operation_leaves_no_temporary_key(r: redis.Redis, key: str) -> None:
    r.set(key, "not a sorted set")
    s = SortedSet(r, key)
    with pytest.raises(WrongTypeError):
        s.union(["a", "b"])
    assert temporary_keys(r, key) == []


# -- async twins -----------------------------------------------------------------


async def test_async_operations_match_python(ar: redis.asyncio.Redis, key: str) -> None:
    a = redset.asyncio.SortedSet(ar, f"{key}:a")
    b = redset.asyncio.SortedSet(ar, f"{key}:b")
    await a.add_scored([("x", 1.0), ("y", 2.0), ("w", 0.0)])
    await b.add_scored([("y", 0.5), ("z", 3.0)])
    assert await a.union(b) == ["w", "y", "x", "z"]
    assert await a.intersection(b) == ["y"]
    assert await a.difference(b) == ["w", "x"]
    assert await a.symmetric_difference(["x", "q"]) == ["q", "w", "y"]
    assert await a.issubset(["w", "x", "y", "z"])
    assert await a.issuperset(["x"])
    assert not await a.isdisjoint(b)
    assert await a.equals({"w", "x", "y"})
    assert await a.missing(["x", "q"]) == ["q"]
    await a.union_update(b)
    assert await a.score("y") == 0.5
    await a.intersection_update(["x", "y", "z"])
    await a.difference_update(b)
    assert [item async for item in a] == ["x"]
    await a.symmetric_difference_update(["x", "n"])
    assert [item async for item in a] == ["n"]
    assert await a.update(b) == 2
    with pytest.raises(IncompatibleSetsError):
        await a.union(redset.asyncio.SortedSet(ar, f"{key}:c", codec=BytesCodec()))  # type: ignore[arg-type]  # members of another type
