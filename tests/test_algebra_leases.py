"""In-place set algebra on a set whose items are in flight under leases.

A claim takes an item out of the set, and an add while it is in flight puts
it back in as a member that is not handed out until the lease ends. The
algebra works on members, so an in-flight item takes part only when it was
added meanwhile, and one that the result puts in the set waits for its lease.

Both sets of a test share one hash tag, so they can be combined on a cluster.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
import redis

from clocks import FakeClock
from redset import SortedSet, TimeSortedSet, WrongTypeError
from redset._leases import lease_keys

InPlace = Callable[[SortedSet[str], SortedSet[str]], object]


def _ior(s: SortedSet[str], other: SortedSet[str]) -> object:
    s |= ["a"]
    return s


def _iand_other(s: SortedSet[str], other: SortedSet[str]) -> object:
    s &= ["b"]
    return s


def _iand_same(s: SortedSet[str], other: SortedSet[str]) -> object:
    s &= ["a", "b"]
    return s


def _isub(s: SortedSet[str], other: SortedSet[str]) -> object:
    s -= ["a"]
    return s


def _ixor(s: SortedSet[str], other: SortedSet[str]) -> object:
    s ^= ["a"]
    return s


def _ior_unrelated(s: SortedSet[str], other: SortedSet[str]) -> object:
    s |= ["c"]
    return s


# (name, operation, whether "a" was added again while in flight,
#  whether "a" is a member after the operation)
CASES: list[tuple[str, InPlace, bool, bool]] = [
    ("ior", _ior, False, True),
    ("ior added", _ior, True, True),
    ("ior unrelated", _ior_unrelated, False, False),
    ("ior unrelated added", _ior_unrelated, True, True),
    ("update set", lambda s, o: s.update(o), False, True),
    ("union_update set", lambda s, o: s.union_update(o), False, True),
    ("iand without a, added", _iand_other, True, False),
    ("iand with a, added", _iand_same, True, True),
    ("iand with a", _iand_same, False, False),
    ("intersection_update set", lambda s, o: s.intersection_update(o), True, True),
    ("isub", _isub, False, False),
    ("isub added", _isub, True, False),
    ("difference_update set", lambda s, o: s.difference_update(o), True, False),
    ("ixor", _ixor, False, True),
    ("ixor added", _ixor, True, False),
    (
        "symmetric_difference_update set",
        lambda s, o: s.symmetric_difference_update(o),
        False,
        True,
    ),
]


@pytest.mark.parametrize(
    ("operation", "added", "member"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_in_place_algebra_respects_lease(
    r: redis.Redis,
    key: str,
    operation: InPlace,
    added: bool,
    member: bool,
) -> None:
    s = TimeSortedSet(r, f"{{{key}}}:set")
    other = TimeSortedSet(r, f"{{{key}}}:other")
    other.update(["a", "b"])
    s.update(["a", "b"])
    [lease] = s.claim(1, lease=30)
    assert lease.item == "a"
    if added:
        s.add("a")

    operation(s, other)

    assert ("a" in s) is member
    assert all(held.item != "a" for held in s.claim(10, lease=30))
    assert s.in_flight() >= 1
    assert s.ack(lease) is True
    assert ("a" in s) is member
    if member:
        assert [held.item for held in s.claim(10, lease=30)] == ["a"]


def test_in_place_union_adds_in_flight_item(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, f"{{{key}}}:set")
    other = SortedSet(r, f"{{{key}}}:other")
    s.add("a", score=1)
    other.add("a", score=5)
    [lease] = s.claim(1, lease=30)
    s.union_update(other, aggregate="max")
    assert s.score("a") == 5
    assert s.claim(1, lease=30) == []
    assert s.ack(lease) is True
    assert s.score("a") == 5


def test_in_place_union_aggregates_readded_item(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, f"{{{key}}}:set")
    other = SortedSet(r, f"{{{key}}}:other")
    s.add("a", score=1)
    other.add("a", score=5)
    [lease] = s.claim(1, lease=30)
    s.add("a", score=3)
    s.union_update(other, aggregate="sum")
    assert s.ack(lease) is True
    assert s.score("a") == 8


def test_in_place_union_counts_in_flight_item(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, f"{{{key}}}:set")
    s.add("a", score=1)
    s.claim(1, lease=30)
    other = SortedSet(r, f"{{{key}}}:other")
    other.update(["a", "b"])
    assert s.update(other) == 2
    assert len(s) == 2
    assert [lease.item for lease in s.claim(2, lease=30)] == ["b"]


def test_in_place_algebra_wrong_type_changes_nothing(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, f"{{{key}}}:set")
    s.add_scored([("a", 1), ("b", 3)])
    s.claim(1, lease=30)
    s.add("a", score=2)
    other = SortedSet(r, f"{{{key}}}:other")
    r.set(other.name, "text")
    with pytest.raises(WrongTypeError):
        s.union_update(other)
    assert list(s.items()) == [("a", 2.0), ("b", 3.0)]
    assert s.in_flight() == 1


@pytest.mark.parametrize("index", [2, 3])  # the lease-info and attempts hashes
def test_in_place_algebra_wrong_type_hash_changes_nothing(
    r: redis.Redis, key: str, index: int
) -> None:
    s = SortedSet(r, key)
    s.update(["a", "b"])
    hash_key = lease_keys(key)[index]
    r.set(hash_key, "text")
    with pytest.raises(WrongTypeError):
        s.symmetric_difference_update(["b", "c"])
    assert [item for item, _ in s.items()] == ["a", "b"]
    # The temporary keys of the symmetric difference are gone too.
    assert sorted(r.scan_iter(match=f"*{key}*")) == sorted(
        [key.encode(), hash_key.encode()]
    )


def _check_invariants(r: redis.Redis, name: str) -> None:
    waiting, leases, lease_info, attempts, _, _ = lease_keys(name)
    in_flight = set(r.hkeys(lease_info))
    assert set(r.zrange(leases, 0, -1)) == in_flight
    members = set(r.zrange(waiting, 0, -1))
    for member in r.hkeys(attempts):
        assert member in in_flight or member in members, member


def test_random_algebra_with_leases(r: redis.Redis, key: str) -> None:
    rng = random.Random(7)
    items = ["a", "b", "c", "d"]
    s = SortedSet(r, f"{{{key}}}:set")
    other = SortedSet(r, f"{{{key}}}:other")
    leases = []
    for _ in range(150):
        choice = rng.randrange(9)
        picked = rng.sample(items, rng.randrange(3))
        if choice == 0:
            s.add_scored([(item, rng.randrange(5)) for item in picked])
        elif choice == 1:
            leases += s.claim(rng.randrange(1, 3), lease=30)
        elif choice == 2 and leases:
            s.ack(leases.pop(rng.randrange(len(leases))))
        elif choice == 3:
            s |= picked
        elif choice == 4:
            s &= picked
        elif choice == 5:
            s -= picked
        elif choice == 6:
            s ^= picked
        elif choice == 7:
            other.clear()
            other.update(picked)
            operations: list[Callable[[SortedSet[str]], object]] = [
                s.update,
                s.intersection_update,
                s.difference_update,
                s.symmetric_difference_update,
            ]
            rng.choice(operations)(other)
        else:
            held = {lease.member for lease in leases}
            for lease in s.claim(10, lease=30):
                assert lease.member not in held
                leases.append(lease)
        _check_invariants(r, s.name)


@pytest.mark.parametrize("form", ["items", "set"])
def test_difference_resets_delivery_count(r: redis.Redis, key: str, form: str) -> None:
    s = SortedSet(r, f"{{{key}}}:set")
    other = SortedSet(r, f"{{{key}}}:other")
    other.add("a")
    s.add("a")
    [lease] = s.claim(1, lease=30)
    assert s.release(lease) is True
    if form == "items":
        s -= ["a"]
    else:
        s.difference_update(other)
    s.add("a")
    [lease] = s.claim(1, lease=30)
    assert lease.attempts == 1


def test_difference_removes_expired_lease_item(r: redis.Redis, key: str) -> None:
    clock = FakeClock()
    s = SortedSet(r, f"{{{key}}}:set", clock=clock)
    s.add_scored([("a", 1), ("b", 2)])
    s.claim(1, lease=10)
    clock.now += 20
    s -= ["a"]
    assert len(s) == 1
    assert s.in_flight() == 0
    assert "a" not in s
