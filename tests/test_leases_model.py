"""Leases against a pure-Python model, driven by a Hypothesis state machine.

Each step runs one operation on a real server and on the model, compares
the return values, then compares the whole stored state: members and
scores, leases with their tokens and deadlines, delivery counts, and dead
letters. A member added while in flight is in the set and under a lease at
once; the operations that hand out members pass over it. The clock is
injected and only moves when the machine advances it, so deadlines are
exact.

Each machine runs a SortedSet or a ScheduledSet, whose pops, claims,
peeks and counts see only due members. The scripts take a shorter
path when nothing is in flight, so the test also checks that the steps ran
with no lease, with live leases only, and with expired leases.
"""

from __future__ import annotations

import itertools
from collections import Counter
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

from redset import EmptyError, Lease, ScheduledSet, SortedSet

MAX_ATTEMPTS = 3
START = 1_000_000.0
FLAGS = {"replace": "", "keep": "NX", "greater": "GT", "less": "LT"}

members = st.sampled_from(["a", "b", "c"])
# Near the clock's start, so that in a ScheduledSet items fall due as the
# clock advances.
scores = st.integers(min_value=0, max_value=4).map(lambda s: START + s)
seconds = st.integers(min_value=1, max_value=2).map(float)
policies = st.sampled_from(sorted(FLAGS))

pair_lists = st.lists(st.tuples(members, scores), min_size=1, max_size=5)
claim_counts = st.integers(min_value=1, max_value=3)
take_counts = st.integers(min_value=1, max_value=4)
positions = st.integers(min_value=0, max_value=3)

# The arguments of each rule that returns expired leases to the set first.
# An add is a plain ZADD, so it does not return expired leases to the set.
RECLAIMING_RULES: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "claim": {"count": claim_counts, "duration": seconds},
    "pop": {"wait": st.booleans()},
    "take": {"count": take_counts},
    "peek": {"position": positions},
    "discard": {"member": members},
    "count": {},
}


@dataclass
class Model:
    """What the set should hold; mirrors the Lua scripts step by step."""

    due_only: bool = False
    # The set's default update policy as a ZADD flag.
    update_flag: str = ""
    now: float = START
    waiting: dict[str, float] = field(default_factory=dict)
    # member -> (token, deadline, score when claimed)
    leases: dict[str, tuple[str, float, float]] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)
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

    def add(self, flag: str, score: float, member: str) -> bool:
        """Add as ZADD does, in flight or not; return whether it is new."""
        return self.zadd(flag, score, member) == 1

    def owns(self, lease: Lease[str]) -> bool:
        record = self.leases.get(lease.item)
        return record is not None and record[0] == lease.token and record[1] > self.now

    def ack(self, lease: Lease[str]) -> bool:
        if not self.owns(lease):
            return False
        del self.leases[lease.item]
        self.attempts.pop(lease.item, None)
        return True

    def end_lease(self, member: str, score: float) -> None:
        del self.leases[member]
        count = self.attempts.get(member, 0)
        if count >= MAX_ATTEMPTS:
            self.dead[member] = (score, count, "max_attempts")
            self.attempts.pop(member, None)
        else:
            self.merge_returning(member, score)

    def merge_returning(self, member: str, score: float) -> None:
        """Put an item back after its lease, merging with an add made meanwhile.

        The add counts as the newer one, so the set's update policy decides.
        """
        added = self.waiting.get(member)
        if added is None or self.update_flag == "NX":
            self.waiting[member] = score
        elif self.update_flag == "GT":
            self.waiting[member] = max(added, score)
        elif self.update_flag == "LT":
            self.waiting[member] = min(added, score)

    def reclaim(self) -> None:
        for member, (_, deadline, score) in list(self.leases.items()):
            if deadline <= self.now:
                self.end_lease(member, score)

    def next_waiting(self, count: int) -> list[tuple[str, float]]:
        ordered = sorted(
            (pair for pair in self.waiting.items() if pair[0] not in self.leases),
            key=lambda pair: (pair[1], pair[0]),
        )
        if self.due_only:
            ordered = [pair for pair in ordered if pair[1] <= self.now]
        return ordered[:count]

    def pop(self, count: int) -> list[str]:
        popped = [member for member, _ in self.next_waiting(count)]
        for member in popped:
            del self.waiting[member]
            self.attempts.pop(member, None)
        return popped

    def lease_state(self) -> str:
        """Name the path the scripts take: see reclaim in lease_prelude.lua."""
        if not self.leases:
            return "none in flight"
        if any(deadline <= self.now for _, deadline, _ in self.leases.values()):
            return "expired leases"
        return "live leases"


# Steps run, by operation and by the lease state the scripts found.
paths_seen: Counter[tuple[str, str]] = Counter()


class LeaseMachine(RuleBasedStateMachine):
    def __init__(self, client: redis.Redis, key: str) -> None:
        super().__init__()
        self.client = client
        self.key = key
        self.model = Model()
        self.set = self.make_set(SortedSet)
        self.handed_out: list[Lease[str]] = []
        self.tokens: set[str] = set()

    def make_set(
        self, cls: type[SortedSet[str]], policy: str | None = None
    ) -> SortedSet[str]:
        return cls(
            self.client,
            self.key,
            clock=lambda: self.model.now,
            max_attempts=MAX_ATTEMPTS,
            update=policy,  # type: ignore[arg-type]  # drawn from FLAGS
        )

    def reclaim(self, operation: str) -> None:
        """Count the path the next operation takes, then reclaim in the model."""
        paths_seen[operation, self.model.lease_state()] += 1
        self.model.reclaim()

    def pick_lease(self, data: st.DataObject) -> Lease[str]:
        # Newest first, so the simplest draw is a lease that may still be held.
        return data.draw(st.sampled_from(self.handed_out[::-1]))

    @initialize(
        due_only=st.booleans(),
        items=st.dictionaries(members, scores, min_size=1),
        count=st.integers(min_value=0, max_value=2),
        policy=st.none() | policies,
    )
    def fill_and_claim(
        self,
        due_only: bool,
        items: dict[str, float],
        count: int,
        policy: str | None = None,
    ) -> None:
        """Start with waiting items, some of them in flight.

        ``policy`` is the set's update policy, None for the class default.
        """
        cls: type[SortedSet[str]] = ScheduledSet if due_only else SortedSet
        self.model.due_only = due_only
        self.set = self.make_set(cls, policy)
        self.model.update_flag = FLAGS[policy or cls.default_update]
        for member, score in items.items():
            self.add(member, score, "replace")
        if count:
            self.claim(count, 2.0)

    @rule(member=members, score=scores, policy=policies)
    def add(self, member: str, score: float, policy: str) -> None:
        expected = self.model.add(FLAGS[policy], score, member)
        assert self.set.add(member, score, update=policy) is expected  # type: ignore[arg-type]  # drawn from FLAGS

    @rule(pairs=pair_lists, policy=policies)
    def add_scored(self, pairs: list[tuple[str, float]], policy: str) -> None:
        """Add a batch, in which a member may appear more than once."""
        expected = sum(
            self.model.add(FLAGS[policy], score, member) for member, score in pairs
        )
        assert self.set.add_scored(pairs, update=policy) == expected  # type: ignore[arg-type]  # drawn from FLAGS

    @rule(count=claim_counts, duration=seconds)
    def claim(self, count: int, duration: float) -> None:
        self.reclaim("claim")
        self.claim_after_reclaim(count, duration, [])

    @precondition(lambda self: self.handed_out)
    @rule(
        data=st.data(),
        count=st.integers(min_value=0, max_value=3),
        duration=seconds,
    )
    def claim_with_ack(self, data: st.DataObject, count: int, duration: float) -> None:
        """Claim with ack=: the script finishes the leases, then claims."""
        chosen = data.draw(st.lists(st.sampled_from(self.handed_out), max_size=3))
        if count == 0 and not chosen:
            # Nothing to claim or ack: no command is sent, so nothing is
            # reclaimed either.
            assert self.set.claim(0, lease=duration, ack=chosen) == []
            return
        for lease in chosen:
            self.model.ack(lease)
        self.reclaim("claim_with_ack")
        self.claim_after_reclaim(count, duration, chosen)

    def claim_after_reclaim(
        self, count: int, duration: float, ack: list[Lease[str]]
    ) -> None:
        expected = []
        for member, score in self.model.next_waiting(count):
            del self.model.waiting[member]
            self.model.attempts[member] = self.model.attempts.get(member, 0) + 1
            expected.append((member, self.model.attempts[member]))
            self.model.leases[member] = ("", self.model.now + duration, score)
        # A timeout makes an empty claim wait, so the script returns poll
        # hints. The clock does not move, so the wait lasts the timeout.
        got = self.set.claim(count, lease=duration, timeout=0.002, ack=ack)
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
        expected = self.model.ack(lease)
        assert self.set.ack(lease) is expected

    @precondition(lambda self: self.handed_out)
    @rule(data=st.data())
    def ack_many(self, data: st.DataObject) -> None:
        chosen = data.draw(st.lists(st.sampled_from(self.handed_out), max_size=4))
        expected = sum(self.model.ack(lease) for lease in chosen)
        assert self.set.ack_many(chosen) == expected

    @precondition(lambda self: self.handed_out)
    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        lease = self.pick_lease(data)
        expected = self.model.owns(lease)
        if expected:
            self.model.end_lease(lease.item, self.model.leases[lease.item][2])
        assert self.set.release(lease) is expected

    @precondition(lambda self: self.handed_out)
    @rule(data=st.data(), extra=seconds)
    def extend(self, data: st.DataObject, extra: float) -> None:
        lease = self.pick_lease(data)
        expected = self.model.owns(lease)
        if expected:
            token, _, score = self.model.leases[lease.item]
            self.model.leases[lease.item] = (token, self.model.now + extra, score)
        assert self.set.extend(lease, extra) is expected

    @rule(wait=st.booleans())
    def pop(self, wait: bool) -> None:
        self.reclaim("pop")
        # A timeout makes a pop from an empty set wait, so the script returns
        # poll hints.
        timeout = 0.002 if wait else None
        popped = self.model.pop(1)
        if not popped:
            with pytest.raises(EmptyError):
                self.set.pop(timeout=timeout)
            return
        assert self.set.pop(timeout=timeout) == popped[0]

    @rule(count=take_counts)
    def take(self, count: int) -> None:
        self.reclaim("take")
        expected = self.model.pop(count)
        assert self.set.take(count) == expected

    @rule(position=positions)
    def peek(self, position: int) -> None:
        self.reclaim("peek")
        ahead = self.model.next_waiting(position + 1)
        if len(ahead) <= position:
            with pytest.raises(EmptyError):
                self.set.peek(position)
            return
        assert self.set.peek(position) == ahead[position][0]

    @rule(member=members)
    def discard(self, member: str) -> None:
        self.reclaim("discard")
        removed = self.model.waiting.pop(member, None) is not None
        if member not in self.model.leases:
            self.model.attempts.pop(member, None)
        assert self.set.discard(member) is removed

    @rule()
    def requeue_dead_letters(self) -> None:
        for member, (score, _, _) in self.model.dead.items():
            self.model.zadd("NX", score, member)
        expected = len(self.model.dead)
        self.model.dead.clear()
        assert self.set.requeue_dead_letters() == expected

    @rule(step=st.integers(min_value=0, max_value=3).map(float))
    def advance_clock(self, step: float) -> None:
        self.model.now += step

    @rule(data=st.data(), name=st.sampled_from(sorted(RECLAIMING_RULES)))
    def expire_a_lease_then(self, data: st.DataObject, name: str) -> None:
        """Let a lease expire, then run a rule that returns it to the set.

        Hypothesis enables a random subset of rules in each run, so without
        this step a reclaiming rule rarely runs right after a lease expired.
        When nothing is in flight, this claims an item first.
        """
        if not self.model.leases:
            self.claim(1, 1.0)
        if self.model.leases:
            earliest = min(d for _, d, _ in self.model.leases.values())
            self.model.now = max(self.model.now, earliest)
        arguments = {
            argument: data.draw(strategy)
            for argument, strategy in RECLAIMING_RULES[name].items()
        }
        getattr(self, name)(**arguments)

    @rule()
    def count(self) -> None:
        model = self.model
        self.reclaim("count")
        assert len(self.set) == len(model.waiting)
        assert self.set.in_flight() == len(model.leases)
        if model.due_only:
            assert isinstance(self.set, ScheduledSet)
            due = sum(
                score <= model.now and member not in model.leases
                for member, score in model.waiting.items()
            )
            assert self.set.available() == due
        dead = {
            letter.member: (letter.score, letter.attempts, letter.reason)
            for letter in self.set.dead_letters()
        }
        assert dead == {m.encode(): info for m, info in model.dead.items()}

    @invariant()
    def contents_match(self) -> None:
        # Only plain reads: every script that counts also returns expired
        # leases, and the rules must find them to take that path.
        model = self.model
        keys = self.set._lease_keys
        # redis-py types replies as a union over sync and async clients.
        read: Any = self.client
        waiting = dict(read.zrange(keys[0], 0, -1, withscores=True))
        assert waiting == {m.encode(): s for m, s in model.waiting.items()}
        deadlines = dict(read.zrange(keys[1], 0, -1, withscores=True))
        assert deadlines == {m.encode(): d for m, (_, d, _) in model.leases.items()}
        # Each lease-info value is "token deadline score", with the same
        # deadline as the leases zset.
        lease_info = {
            m: (token.decode(), float(deadline), float(score))
            for m, (token, deadline, score) in (
                (m, v.split(b" ")) for m, v in read.hgetall(keys[2]).items()
            )
        }
        assert lease_info == {
            m.encode(): (t, d, s) for m, (t, d, s) in model.leases.items()
        }
        attempts = {m: int(n) for m, n in read.hgetall(keys[3]).items()}
        assert attempts == {m.encode(): n for m, n in model.attempts.items()}
        dead_scores = dict(read.zrange(keys[4], 0, -1, withscores=True))
        dead_info = {
            m: (int(n), reason.decode())
            for m, (n, _, reason) in (
                (m, v.partition(b" ")) for m, v in read.hgetall(keys[5]).items()
            )
        }
        assert {m: (s, *dead_info[m]) for m, s in dead_scores.items()} == {
            m.encode(): info for m, info in model.dead.items()
        }


LEASE_STATES = ("none in flight", "live leases", "expired leases")


def test_leases_match_model(r: redis.Redis, key: str) -> None:
    counter = itertools.count()
    paths_seen.clear()

    def fresh_machine() -> LeaseMachine:
        return LeaseMachine(r, f"{key}:{next(counter)}")

    run_state_machine_as_test(
        fresh_machine,  # type: ignore[arg-type]  # Hypothesis documents factories too
        settings=settings(max_examples=60, stateful_step_count=40, deadline=None),
    )
    # Each rule on each path varies too much from run to run to check here;
    # test_each_rule_on_each_path covers that.
    for state in LEASE_STATES:
        assert sum(n for (_, seen), n in paths_seen.items() if seen == state) > 0


# One call of each reclaiming rule, chosen to touch the in-flight item "a"
# where the rule takes a member.
RULE_EXAMPLES: dict[str, dict[str, Any]] = {
    "claim": {"count": 2, "duration": 1.0},
    "pop": {"wait": False},
    "take": {"count": 3},
    "peek": {"position": 1},
    "discard": {"member": "a"},
    "count": {},
}


@pytest.mark.parametrize("due_only", [False, True], ids=["sorted", "scheduled"])
@pytest.mark.parametrize("state", LEASE_STATES)
def test_each_rule_on_each_path(
    r: redis.Redis, key: str, state: str, due_only: bool
) -> None:
    """Run each reclaiming rule with no lease, a live lease or an expired one."""
    assert sorted(RULE_EXAMPLES) == sorted(RECLAIMING_RULES)
    for name, arguments in RULE_EXAMPLES.items():
        machine = LeaseMachine(r, f"{key}:{name}")
        items = {"a": START, "b": START + 1, "c": START + 2}
        machine.fill_and_claim(due_only, items, 0 if state == LEASE_STATES[0] else 1)
        if state == "expired leases":
            machine.model.now += 2.0
        machine.contents_match()
        paths_seen.clear()
        getattr(machine, name)(**arguments)
        assert list(paths_seen) == [(name, state)]
        machine.contents_match()
