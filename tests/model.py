"""A pure-Python model of what SortedSet, TimeSortedSet and ScheduledSet store.

The model works on encoded members (bytes), as Redis does. Members are
ordered by (score, member bytes), which is how a Redis sorted set orders
equal scores. Scores are floats where -0.0 equals 0.0 and ±inf are allowed.
A member that the codec cannot decode moves to the dead letters when a pop
or take removes it, and makes peek and iteration raise DecodeError.
``ModelSet.check`` asserts every invariant that the stateful tests check
after each step.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

from clocks import FakeClock

__all__ = [
    "DEFAULT_UPDATE",
    "KINDS",
    "ModelSet",
    "Observation",
    "SetKind",
    "UpdatePolicy",
]

SetKind = Literal["SortedSet", "TimeSortedSet", "ScheduledSet"]
UpdatePolicy = Literal["replace", "keep", "greater", "less"]
Pair = tuple[bytes, float]

KINDS: tuple[SetKind, ...] = ("SortedSet", "TimeSortedSet", "ScheduledSet")

# What ``add`` does to the score of a waiting member when neither the call
# nor the constructor passes ``update=``.
DEFAULT_UPDATE: dict[SetKind, UpdatePolicy] = {
    "SortedSet": "replace",
    "TimeSortedSet": "keep",
    "ScheduledSet": "less",
}


@dataclass(frozen=True)
class Observation:
    """What the real set and its Redis key contain, read after one step.

    Members are encoded again with the set's codec, so they compare with the
    model's bytes. ``items`` and ``iterated`` are None when reading them
    raised DecodeError. ``available`` is None for classes without due times.
    """

    raw: list[Pair]
    dead: list[Pair]
    items: list[Pair] | None
    iterated: list[bytes] | None
    length: int
    available: int | None


class ModelSet:
    """The expected contents of one set, and the result of each operation.

    ``scorer`` takes the encoded member, and ``decodes`` returns whether the
    codec can decode a member, so the model never needs the codec. The clock
    is shared with the real set: it gives TimeSortedSet its default scores
    and ScheduledSet its "now".
    """

    def __init__(
        self,
        kind: SetKind,
        clock: FakeClock,
        *,
        update: UpdatePolicy | None = None,
        scorer: Callable[[bytes], float] | None = None,
        decodes: Callable[[bytes], bool] = lambda member: True,
    ) -> None:
        self.kind = kind
        self.clock = clock
        self.update = DEFAULT_UPDATE[kind] if update is None else update
        self.scorer = scorer
        self.decodes = decodes
        self.scores: dict[bytes, float] = {}
        self.dead: dict[bytes, float] = {}
        self.last_time = -math.inf

    # -- writing ------------------------------------------------------------

    def add(self, pairs: Iterable[Pair], update: UpdatePolicy | None = None) -> int:
        """Apply (member, score) pairs in order, as ZADD does; count new members."""
        policy = self.update if update is None else update
        added = 0
        for member, score in pairs:
            old = self.scores.get(member)
            if old is None:
                self.scores[member] = score
                added += 1
            elif (
                policy == "replace"
                or (policy == "greater" and score > old)
                or (policy == "less" and score < old)
            ):
                self.scores[member] = score
        return added

    def default_pairs(self, members: Iterable[bytes]) -> list[Pair]:
        """Score members added without an explicit score, in call order."""
        scorer = self.scorer
        if scorer is not None:
            return [(member, float(scorer(member))) for member in members]
        if self.kind == "TimeSortedSet":
            return [(member, self._next_time()) for member in members]
        if self.kind == "ScheduledSet":
            return [(member, float(self.clock.now)) for member in members]
        return [(member, 0.0) for member in members]

    def _next_time(self) -> float:
        # Each default score of a TimeSortedSet is later than the one before,
        # even when the clock repeats or goes back.
        now = float(self.clock.now)
        if now <= self.last_time:
            now = math.nextafter(self.last_time, math.inf)
        self.last_time = now
        return now

    def take(self, count: int) -> list[Pair]:
        """Remove up to ``count`` visible pairs, lowest first, as take() does.

        Returns the pairs that decode. The others move to the dead letters,
        where each replaces the score of an earlier copy, as ZADD does. When
        none of the removed pairs decodes, the next ones are removed, until
        one decodes or none is visible.
        """
        while True:
            popped = self.visible()[:count]
            taken = self.take_once(popped)
            if taken or not popped:
                return taken

    def take_once(self, popped: list[Pair]) -> list[Pair]:
        for member, score in popped:
            del self.scores[member]
            if not self.decodes(member):
                self.dead[member] = score
        return [(member, score) for member, score in popped if self.decodes(member)]

    def pop(self) -> Pair | None:
        """Remove the lowest visible pair that decodes, as pop() does.

        Visible members before it that do not decode move to the dead letters.
        """
        taken = self.take(1)
        return taken[0] if taken else None

    def discard(self, member: bytes) -> bool:
        return self.scores.pop(member, None) is not None

    def clear(self) -> None:
        self.scores.clear()

    # -- reading ------------------------------------------------------------

    def ordered(self) -> list[Pair]:
        """Every pair, in the order Redis keeps them."""
        return sorted(self.scores.items(), key=_redis_order)

    def visible(self) -> list[Pair]:
        """The pairs that pop, take and peek see: only due ones in a ScheduledSet."""
        pairs = self.ordered()
        if self.kind == "ScheduledSet":
            now = self.clock.now
            return [pair for pair in pairs if pair[1] <= now]
        return pairs

    def peek(self, position: int) -> Pair | None:
        visible = self.visible()
        return visible[position] if position < len(visible) else None

    def score(self, member: bytes) -> float | None:
        return self.scores.get(member)

    def decode_fails(self) -> bool:
        """Tell whether some member does not decode, so iteration must raise."""
        return not all(self.decodes(member) for member in self.scores)

    def available(self) -> int | None:
        return len(self.visible()) if self.kind == "ScheduledSet" else None

    def __len__(self) -> int:
        return len(self.scores)

    # -- invariants -----------------------------------------------------------

    def check(self, seen: Observation) -> None:
        """Assert that the real set matches the model and both are well formed."""
        for member, score in self.scores.items():
            assert isinstance(member, bytes), member
            assert isinstance(score, float), (member, score)
            assert not math.isnan(score), member

        _check_sorted_and_unique(seen.raw)
        _check_sorted_and_unique(seen.dead)
        expected = self.ordered()
        assert seen.raw == expected, "Redis holds other members or scores"
        assert seen.dead == sorted(self.dead.items(), key=_redis_order), (
            "the dead letters differ from the model"
        )
        if self.decode_fails():
            assert seen.items is None, "items() did not raise DecodeError"
            assert seen.iterated is None, "iteration did not raise DecodeError"
        else:
            assert seen.items == expected, "items() differs from the model"
            assert seen.iterated == [member for member, _ in expected], (
                "iteration differs from the model"
            )
        assert seen.length == len(expected), "len() differs from the model"
        assert seen.available == self.available(), "available() differs"


def _redis_order(pair: Pair) -> tuple[float, bytes]:
    member, score = pair
    return score, member


def _check_sorted_and_unique(pairs: Sequence[Pair]) -> None:
    """Assert that pairs are strictly increasing by (score, member)."""
    for (member, score), (next_member, next_score) in pairwise(pairs):
        assert not math.isnan(score), member
        assert (score, member) < (next_score, next_member), (
            f"{(member, score)!r} comes before {(next_member, next_score)!r}"
        )
