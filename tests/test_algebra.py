"""Set protocol and set algebra on a real server, checked against Python's set."""

from __future__ import annotations

import itertools
import json
import operator
import time
from collections.abc import Callable, Iterator, MutableSet
from typing import Any

import pydantic
import pytest
import redis
import redis.asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.cluster import RedisCluster
from redis.sentinel import SentinelConnectionPool

import redset.asyncio
from conftest import BINARIES
from redset import (
    BytesCodec,
    EmptyError,
    EncodeError,
    IncompatibleSetsError,
    InvalidValueError,
    JsonCodec,
    MemberNotFoundError,
    MsgpackCodec,
    PydanticCodec,
    ScheduledSet,
    SortedSet,
    TextCodec,
    TimeSortedSet,
    WrongTypeError,
)
from servers import RedisServer, free_port

# Few distinct members, so generated sets overlap often; scores repeat so
# that ties in byte order are exercised too.
SCORED = st.dictionaries(
    st.sampled_from("abcdefghij"), st.sampled_from([0.0, 1.0, 2.5, -3.0]), max_size=8
)
# How the second set relates to the first, so that identical, disjoint and
# nested sets come up in every run, not only by chance.
RELATIONS = st.sampled_from(["independent", "identical", "disjoint", "subset"])
AGGREGATES = st.sampled_from(["min", "max", "sum"])
ALGEBRA_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
AGGREGATE_FUNCTIONS: dict[str, Callable[[float, float], float]] = {
    "min": min,
    "max": max,
    "sum": lambda left, right: left + right,
}


@pytest.fixture
def key(key: str) -> str:
    """The suite's key name inside a hash tag.

    Tests combine sets named ``f"{key}:a"`` and ``f"{key}:b"`` in one
    command, which a Redis Cluster allows only for keys in one slot.
    """
    return f"{{{key}}}"


def relate(
    first: dict[str, float], second: dict[str, float], relation: str
) -> dict[str, float]:
    """Return ``second`` changed so that its members relate to ``first``'s."""
    if relation == "identical":
        return {member: second.get(member, 1.0) for member in first}
    if relation == "disjoint":
        return {m: score for m, score in second.items() if m not in first}
    if relation == "subset":
        return {m: score for m, score in second.items() if m in first}
    return second


def expected_pairs(
    combination: str,
    first: dict[str, float],
    second: dict[str, float],
    aggregate: str = "min",
) -> list[tuple[str, float]]:
    """Compute a combination with Python's set and dict, in Redis's order."""
    combine = AGGREGATE_FUNCTIONS[aggregate]
    x, y = set(first), set(second)
    scores: dict[str, float] = {}
    if combination == "union":
        for member in x | y:
            if member in x and member in y:
                scores[member] = combine(first[member], second[member])
            else:
                scores[member] = first.get(member, second.get(member, 0.0))
    elif combination == "inter":
        scores = {m: combine(first[m], second[m]) for m in x & y}
    elif combination == "diff":
        scores = {m: first[m] for m in x - y}
    else:
        scores = {m: first[m] for m in x - y} | {m: second[m] for m in y - x}
    return sorted(scores.items(), key=lambda pair: (pair[1], pair[0].encode()))


def members_of(pairs: list[tuple[str, float]]) -> list[str]:
    return [member for member, _ in pairs]


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
@given(first=SCORED, second=SCORED, relation=RELATIONS, aggregate=AGGREGATES)
def test_read_operations_match_python(
    r: redis.Redis,
    key: str,
    first: dict[str, float],
    second: dict[str, float],
    relation: str,
    aggregate: Any,
) -> None:
    second = relate(first, second, relation)
    a, b = make_pair(r, key, first, second)

    assert a.union(b, aggregate=aggregate) == members_of(
        expected_pairs("union", first, second, aggregate)
    )
    assert a.intersection(b, aggregate=aggregate) == members_of(
        expected_pairs("inter", first, second, aggregate)
    )
    assert a.difference(b) == members_of(expected_pairs("diff", first, second))
    assert a.symmetric_difference(b) == members_of(expected_pairs("xor", first, second))
    assert a | b == members_of(expected_pairs("union", first, second))
    assert a & b == members_of(expected_pairs("inter", first, second))
    assert a - b == members_of(expected_pairs("diff", first, second))
    assert a ^ b == members_of(expected_pairs("xor", first, second))

    # Plain items score 0 in a union without a scorer, and the intersection
    # keeps the set's own scores.
    plain = sorted(second)
    unscored = dict.fromkeys(second, 0.0)
    assert a.union(plain, aggregate=aggregate) == members_of(
        expected_pairs("union", first, unscored, aggregate)
    )
    own_scores = {m: first[m] for m in set(first) & set(second)}
    assert a.intersection(plain) == members_of(expected_pairs("diff", own_scores, {}))
    assert a - plain == members_of(expected_pairs("diff", first, second))
    assert a ^ plain == members_of(expected_pairs("xor", first, unscored))
    assert set(b) == set(second)
    assert temporary_keys(r, key) == []


@ALGEBRA_SETTINGS
@given(first=SCORED, second=SCORED, relation=RELATIONS)
def test_comparisons_match_python(
    r: redis.Redis,
    key: str,
    first: dict[str, float],
    second: dict[str, float],
    relation: str,
) -> None:
    second = relate(first, second, relation)
    a, b = make_pair(r, key, first, second)
    x, y = set(first), set(second)
    for other in (b, y):
        assert (a <= other) == (x <= y)
        assert (a < other) == (x < y)
        assert (a >= other) == (x >= y)
        assert (a > other) == (x > y)
        assert (a == other) == (x == y)
        assert (a != other) == (x != y)
        assert a.issubset(other) == x.issubset(y)
        assert a.issuperset(other) == x.issuperset(y)
        assert a.isdisjoint(other) == x.isdisjoint(y)
    assert a.issubset(sorted(y)) == x.issubset(y)
    assert a.issuperset(iter(sorted(y))) == x.issuperset(y)
    assert a.isdisjoint(iter(sorted(y))) == x.isdisjoint(y)
    assert (y <= a) == (y <= x)
    assert (sorted(y) - a) == sorted(y - x)
    assert a == a
    assert a <= a
    assert not a < a
    assert temporary_keys(r, key) == []


@ALGEBRA_SETTINGS
@given(
    first=SCORED,
    second=SCORED,
    relation=RELATIONS,
    aggregate=AGGREGATES,
    operation=st.sampled_from(["|=", "&=", "-=", "^="]),
    plain=st.booleans(),
)
def test_in_place_operations_match_python(
    r: redis.Redis,
    key: str,
    first: dict[str, float],
    second: dict[str, float],
    relation: str,
    aggregate: Any,
    operation: str,
    plain: bool,
) -> None:
    second = relate(first, second, relation)
    a, b = make_pair(r, key, first, second)
    other: Any = sorted(second) if plain else b
    # Plain items score 0 without a scorer, and an intersection with them
    # keeps the set's own scores.
    other_scores = dict.fromkeys(second, 0.0) if plain else second
    if operation == "|=":
        a.union_update(other, aggregate=aggregate)
        expected = expected_pairs("union", first, other_scores, aggregate)
    elif operation == "&=" and plain:
        a &= other
        own_scores = {m: first[m] for m in set(first) & set(second)}
        expected = expected_pairs("diff", own_scores, {})
    elif operation == "&=":
        a.intersection_update(other, aggregate=aggregate)
        expected = expected_pairs("inter", first, other_scores, aggregate)
    elif operation == "-=":
        a -= other
        expected = expected_pairs("diff", first, other_scores)
    else:
        a ^= other
        expected = expected_pairs("xor", first, other_scores)
    assert list(a.items()) == expected
    assert list(b.items()) == expected_pairs("union", second, {})
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


def test_plain_items_added_by_xor_get_default_scores(r: redis.Redis, key: str) -> None:
    clock_time = 1_000_000.0
    s = TimeSortedSet(r, key, clock=lambda: clock_time)
    s.add("old")
    s ^= ["old", "new"]
    score = s.score("new")
    assert score is not None
    assert score >= clock_time
    assert "old" not in s


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


def make_model() -> type[pydantic.BaseModel]:
    class Job(pydantic.BaseModel):
        id: int

    return Job


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


def test_unencodable_item_raises_in_comparison(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key)
    s.add("a")
    with pytest.raises(EncodeError):
        s == {"a", 1}  # noqa: B015  # the comparison itself must raise
    assert temporary_keys(r, key) == []


def test_equal_codecs_are_accepted(r: redis.Redis, key: str) -> None:
    a = SortedSet(r, f"{key}:a", codec=TextCodec())
    b = SortedSet(r, f"{key}:b", codec=TextCodec())
    b.add("x")
    assert a | b == ["x"]


def test_codecs_of_same_named_models_are_rejected(r: redis.Redis, key: str) -> None:
    first_model = make_model()
    second_model = make_model()
    a = SortedSet(r, f"{key}:a", codec=PydanticCodec(first_model))
    b = SortedSet(r, f"{key}:b", codec=PydanticCodec(second_model))
    same = SortedSet(r, f"{key}:c", codec=PydanticCodec(first_model))
    assert repr(a.codec) == repr(b.codec)
    with pytest.raises(IncompatibleSetsError):
        a.union(b)
    assert a | same == []


def test_shipped_codecs_match_fresh_instances(r: redis.Redis, key: str) -> None:
    for codec_type in (TextCodec, BytesCodec, JsonCodec, MsgpackCodec):
        a = SortedSet(r, f"{key}:a", codec=codec_type())
        b = SortedSet(r, f"{key}:b", codec=codec_type())
        assert a | b == []


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


@pytest.fixture(scope="module")
def cluster_url() -> Iterator[str]:
    """The URL of a one-node Redis Cluster that owns all 16384 slots.

    One node is enough to make the client route by slot and the server
    reject keys of different slots in one command.
    """
    if not BINARIES:
        pytest.skip("no redis-server binary to start a cluster node with")
    # A cluster node also listens on its port + 10000, so it needs a port
    # of at most 55535.
    port = free_port()
    while port > 55535:
        port = free_port()
    server = RedisServer(
        BINARIES[-1].path,
        port=port,
        extra_args=("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"),
    )
    with server:
        control = server.client()
        control.cluster("ADDSLOTS", *range(16384))
        deadline = time.monotonic() + 10
        while control.cluster("INFO").get("cluster_state") != "ok":
            if time.monotonic() > deadline:
                pytest.fail("the one-node cluster did not reach cluster_state:ok")
            time.sleep(0.05)
        control.close()
        yield server.url


def test_cluster_combines_tagged_sets(cluster_url: str, key: str) -> None:
    client = RedisCluster.from_url(cluster_url)
    try:
        a = SortedSet(client, f"pending{{{key}}}")
        b = SortedSet(client, f"done{{{key}}}")
        a.add_scored([("x", 1.0), ("y", 2.0)])
        b.add_scored([("y", 0.5)])
        assert a | b == ["y", "x"]
        assert a - ["x"] == ["y"]
        assert a >= b
        a -= b
        assert list(a.items()) == [("x", 1.0)]
        # "other:{key}" has another hash tag than "pending{{key}}", so it
        # falls in another slot (except by a 1 in 16384 chance).
        untagged = SortedSet(client, f"other:{key}")
        untagged.add("k")
        assert untagged | ["m"] == ["k", "m"]
        with pytest.raises(IncompatibleSetsError, match="slots"):
            untagged.union(a)
        assert list(client.scan_iter(match=f"*{key}*tmp:*")) == []
    finally:
        for name in (f"pending{{{key}}}", f"done{{{key}}}", f"other:{key}"):
            client.delete(name)
        client.close()


def test_other_key_of_wrong_type_is_named(r: redis.Redis, key: str) -> None:
    r.set(f"{key}:b", "not a sorted set")
    a = SortedSet(r, f"{key}:a")
    a.add("x")
    with pytest.raises(WrongTypeError) as caught:
        a.union(SortedSet(r, f"{key}:b"))
    assert caught.value.key == f"{key}:b"
    assert caught.value.redis_type == "string"
    assert temporary_keys(r, key) == []


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


def test_sentinel_clients_of_other_masters_differ(key: str) -> None:
    # Neither pool connects until a command runs, so no Sentinel is reached.
    manager = object()

    def sentinel_client(service: str, manager: object = manager) -> redis.Redis:
        pool = SentinelConnectionPool(service, manager)  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
        return redis.Redis(connection_pool=pool)

    first = SortedSet(sentinel_client("jobs"), f"{key}:a")
    other_master = SortedSet(sentinel_client("mail"), f"{key}:b")
    same_master = SortedSet(sentinel_client("jobs"), f"{key}:c")
    other_manager = SortedSet(sentinel_client("jobs", object()), f"{key}:d")
    with pytest.raises(IncompatibleSetsError):
        first._check_partner(other_master)
    with pytest.raises(IncompatibleSetsError):
        first._check_partner(other_manager)
    first._check_partner(same_master)
    first._check_partner(first)


def test_cluster_clients_must_be_one_object(cluster_url: str, key: str) -> None:
    first, second = (
        RedisCluster.from_url(cluster_url),
        RedisCluster.from_url(cluster_url),
    )
    try:
        a = SortedSet(first, f"pending{{{key}}}")
        b = SortedSet(second, f"done{{{key}}}")
        with pytest.raises(IncompatibleSetsError, match="same cluster client object"):
            a.union(b)
        assert a | SortedSet(first, f"done{{{key}}}") == []
    finally:
        first.close()
        second.close()
