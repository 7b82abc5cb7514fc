"""Leases against a pure-Python model, driven by a Hypothesis state machine.

Each step runs one operation on a real server and on the model, compares
the return values, then compares the whole stored state: waiting members and
scores, leases with their tokens and deadlines, delivery counts, re-add
marks, and dead letters. The clock is injected and only moves when the
machine advances it, so deadlines are exact.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest
import redis
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from redset import EmptyError, Lease, SortedSet

MAX_ATTEMPTS = 3
START = 1_000_000.0
FLAGS = {"replace": "", "keep": "NX", "greater": "GT", "less": "LT"}

members = st.sampled_from(["a", "b", "c"])
scores = st.integers(min_value=0, max_value=4).map(float)
seconds = st.integers(min_value=1, max_value=4).map(float)
policies = st.sampled_from(sorted(FLAGS))


@dataclass
class Model:
    """What the set should hold; mirrors the Lua scripts step by step."""

    now: float = START
    waiting: dict[str, float] = field(default_factory=dict)
    # member -> (token, deadline, score when claimed)
    leases: dict[str, tuple[str, float, float]] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)
    marks: dict[str, tuple[str, float]] = field(default_factory=dict)
    # member -> (score, attempts, reason)
    dead: dict[str, tuple[float, int, str]] = field(default_factory=dict)

    def zadd(self, flag: str, score: float, member: str) -> int:
        if member not in self.waiting:
            self.waiting[member] = score
            return 1
        old = self.waiting[member]
        if (
            flag == ""
            or (flag == "GT" and score > old)
            or (flag == "LT" and score < old)
        ):
            self.waiting[member] = score
        return 0

    def owns(self, lease: Lease[str]) -> bool:
        record = self.leases.get(lease.item)
        return record is not None and record[0] == lease.token and record[1] > self.now

    def apply_mark(self, member: str) -> None:
        if member in self.marks:
            flag, score = self.marks.pop(member)
            self.zadd(flag, score, member)

    def end_lease(self, member: str, score: float) -> None:
        del self.leases[member]
        count = self.attempts.get(member, 0)
        if count >= MAX_ATTEMPTS:
            self.dead[member] = (score, count, "max_attempts")
            self.attempts.pop(member, None)
        else:
            self.waiting[member] = score
        self.apply_mark(member)

    def reclaim(self) -> None:
        for member, (_, deadline, score) in list(self.leases.items()):
            if deadline <= self.now:
                self.end_lease(member, score)

    def next_waiting(self, count: int) -> list[tuple[str, float]]:
        ordered = sorted(self.waiting.items(), key=lambda pair: (pair[1], pair[0]))
        return ordered[:count]


class LeaseMachine(RuleBasedStateMachine):
    def __init__(self, client: redis.Redis, key: str) -> None:
        super().__init__()
        self.client = client
        self.model = Model()
        self.set = SortedSet(
            client, key, clock=lambda: self.model.now, max_attempts=MAX_ATTEMPTS
        )
        self.handed_out: list[Lease[str]] = []
        self.tokens: set[str] = set()

    def pick_lease(self, data: st.DataObject) -> Lease[str]:
        # Newest first, so the simplest draw is a lease that may still be held.
        return data.draw(st.sampled_from(self.handed_out[::-1]))

    @initialize(
        items=st.dictionaries(members, scores, min_size=1),
        count=st.integers(min_value=0, max_value=2),
    )
    def fill_and_claim(self, items: dict[str, float], count: int) -> None:
        """Start with waiting items, some of them in flight."""
        for member, score in items.items():
            self.add(member, score, "replace")
        if count:
            self.claim(count, 2.0)

    @rule(member=members, score=scores, policy=policies)
    def add(self, member: str, score: float, policy: str) -> None:
        flag = FLAGS[policy]
        self.model.reclaim()
        if member in self.model.leases:
            mark = self.model.marks.get(member)
            expected = mark is None
            if mark is not None:
                old = mark[1]
                if (
                    flag == "NX"
                    or (flag == "GT" and score <= old)
                    or (flag == "LT" and score >= old)
                ):
                    score = old
            self.model.marks[member] = (flag, score)
        else:
            expected = self.model.zadd(flag, score, member) == 1
        assert self.set.add(member, score, update=policy) is expected  # type: ignore[arg-type]  # drawn from FLAGS

    @rule(count=st.integers(min_value=1, max_value=3), duration=seconds)
    def claim(self, count: int, duration: float) -> None:
        self.model.reclaim()
        expected = []
        for member, score in self.model.next_waiting(count):
            del self.model.waiting[member]
            self.model.attempts[member] = self.model.attempts.get(member, 0) + 1
            expected.append((member, self.model.attempts[member]))
            self.model.leases[member] = ("", self.model.now + duration, score)
        got = self.set.claim(count, lease=duration)
        assert [(lease.item, lease.attempts) for lease in got] == expected
        for lease in got:
            assert lease.deadline == self.model.now + duration
            assert lease.token not in self.tokens
            self.tokens.add(lease.token)
            _, deadline, score = self.model.leases[lease.item]
            self.model.leases[lease.item] = (lease.token, deadline, score)
        self.handed_out.extend(got)

    @precondition(lambda self: self.handed_out)
    @rule(data=st.data())
    def ack(self, data: st.DataObject) -> None:
        lease = self.pick_lease(data)
        self.model.reclaim()
        expected = self.model.owns(lease)
        if expected:
            del self.model.leases[lease.item]
            self.model.attempts.pop(lease.item, None)
            self.model.apply_mark(lease.item)
        assert self.set.ack(lease) is expected

    @precondition(lambda self: self.handed_out)
    @rule(data=st.data())
    def ack_many(self, data: st.DataObject) -> None:
        chosen = data.draw(st.lists(st.sampled_from(self.handed_out), max_size=4))
        self.model.reclaim()
        expected = 0
        for lease in chosen:
            if self.model.owns(lease):
                del self.model.leases[lease.item]
                self.model.attempts.pop(lease.item, None)
                self.model.apply_mark(lease.item)
                expected += 1
        assert self.set.ack_many(chosen) == expected

    @precondition(lambda self: self.handed_out)
    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        lease = self.pick_lease(data)
        self.model.reclaim()
        expected = self.model.owns(lease)
        if expected:
            self.model.end_lease(lease.item, self.model.leases[lease.item][2])
        assert self.set.release(lease) is expected

    @precondition(lambda self: self.handed_out)
    @rule(data=st.data(), extra=seconds)
    def extend(self, data: st.DataObject, extra: float) -> None:
        lease = self.pick_lease(data)
        self.model.reclaim()
        expected = self.model.owns(lease)
        if expected:
            token, _, score = self.model.leases[lease.item]
            self.model.leases[lease.item] = (token, self.model.now + extra, score)
        assert self.set.extend(lease, extra) is expected

    @rule()
    def pop(self) -> None:
        self.model.reclaim()
        first = self.model.next_waiting(1)
        if not first:
            with pytest.raises(EmptyError):
                self.set.pop()
            return
        member = first[0][0]
        del self.model.waiting[member]
        self.model.attempts.pop(member, None)
        assert self.set.pop() == member

    @rule(member=members)
    def discard(self, member: str) -> None:
        self.model.reclaim()
        removed = self.model.waiting.pop(member, None) is not None
        unmarked = self.model.marks.pop(member, None) is not None
        if member not in self.model.leases:
            self.model.attempts.pop(member, None)
        assert self.set.discard(member) is (removed or unmarked)

    @rule()
    def requeue_dead_letters(self) -> None:
        self.model.reclaim()
        for member, (score, _, _) in self.model.dead.items():
            if member in self.model.leases:
                self.model.marks.setdefault(member, ("NX", score))
            else:
                self.model.zadd("NX", score, member)
        expected = len(self.model.dead)
        self.model.dead.clear()
        assert self.set.requeue_dead_letters() == expected

    @rule(step=st.integers(min_value=0, max_value=3).map(float))
    def advance_clock(self, step: float) -> None:
        self.model.now += step

    @invariant()
    def contents_match(self) -> None:
        model = self.model
        model.reclaim()
        assert len(self.set) == len(model.waiting)
        assert self.set.in_flight() == len(model.leases)
        keys = self.set._lease_keys
        # redis-py types replies as a union over sync and async clients.
        read: Any = self.client
        waiting = dict(read.zrange(keys[0], 0, -1, withscores=True))
        assert waiting == {m.encode(): s for m, s in model.waiting.items()}
        deadlines = dict(read.zrange(keys[1], 0, -1, withscores=True))
        assert deadlines == {m.encode(): d for m, (_, d, _) in model.leases.items()}
        tokens = read.hgetall(keys[2])
        assert tokens == {
            m.encode(): t.encode() for m, (t, _, _) in model.leases.items()
        }
        claimed = {m: float(s) for m, s in read.hgetall(keys[3]).items()}
        assert claimed == {m.encode(): s for m, (_, _, s) in model.leases.items()}
        attempts = {m: int(n) for m, n in read.hgetall(keys[4]).items()}
        assert attempts == {m.encode(): n for m, n in model.attempts.items()}
        marks = read.hgetall(keys[5])
        assert {
            m: (f.decode(), float(s))
            for m, (f, _, s) in ((m, v.partition(b" ")) for m, v in marks.items())
        } == {m.encode(): mark for m, mark in model.marks.items()}
        dead = {
            letter.member: (letter.score, letter.attempts, letter.reason)
            for letter in self.set.dead_letters()
        }
        assert dead == {m.encode(): info for m, info in model.dead.items()}


def test_leases_match_model(r: redis.Redis, key: str) -> None:
    counter = itertools.count()

    def fresh_machine() -> LeaseMachine:
        return LeaseMachine(r, f"{key}:{next(counter)}")

    run_state_machine_as_test(
        fresh_machine,  # type: ignore[arg-type]  # Hypothesis documents factories too
        settings=settings(max_examples=60, stateful_step_count=40, deadline=None),
    )
