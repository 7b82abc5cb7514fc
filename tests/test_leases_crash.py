"""Consumers killed with SIGKILL mid-work lose no item under leases.

Worker processes claim items, record each one as done, then ack it. The
test kills workers at random moments and starts new ones. At the end every
item was done and acked (nothing waits, is in flight or went to dead
letters), and each item done twice was done by a worker that died holding
it, all but once.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import time
from collections import Counter

import pytest
import redis

from redset import SortedSet

ITEMS = 5000
WORKERS = 4
KILLS = 6
LEASE = 0.5


def work(url: str, key: str) -> None:
    """Claim, record and ack items until none waits and none is in flight."""
    client = redis.Redis.from_url(url)
    jobs = SortedSet(client, key)
    pid = str(os.getpid()).encode()
    while True:
        leases = jobs.claim(10, lease=LEASE, timeout=0.2)
        if leases:
            client.sadd(f"{key}:working", pid)
        if not leases and len(jobs) == 0 and jobs.in_flight() == 0:
            return
        for lease in leases:
            client.rpush(f"{key}:done", lease.member + b" " + pid)
            jobs.ack(lease)


def records(client: redis.Redis, name: str) -> list[tuple[str, str]]:
    """Read a list of "member pid" entries."""
    entries: list[bytes] = client.lrange(name, 0, -1)  # type: ignore[assignment]  # a sync client returns the list itself
    pairs = []
    for entry in entries:
        member, pid = entry.decode().split(" ")
        pairs.append((member, pid))
    return pairs


@pytest.mark.slow
def test_killed_consumers_lose_nothing(
    r: redis.Redis, key: str, redis_url: str
) -> None:
    jobs = SortedSet(r, key)
    items = [f"item-{n:05d}" for n in range(ITEMS)]
    assert jobs.update(items) == ITEMS
    context = multiprocessing.get_context("spawn")
    chooser = random.Random(2024)
    killed: set[str] = set()
    workers = [
        context.Process(target=work, args=(redis_url, key)) for _ in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    try:
        # The kills go on for 5 s from the first claim. On a loaded machine
        # the spawned workers can take seconds to import before they claim,
        # so the window does not start when they do.
        give_up_waiting = time.monotonic() + 30
        stop_killing: float | None = None
        while len(killed) < KILLS:
            now = time.monotonic()
            if now >= (give_up_waiting if stop_killing is None else stop_killing):
                break
            time.sleep(chooser.uniform(0.01, 0.1))
            # Kill only workers that hold or have held leases, so each kill
            # can interrupt work rather than a process still importing.
            started: set[bytes] = r.smembers(f"{key}:working")  # type: ignore[assignment]  # a sync client returns the set itself
            working = {pid.decode() for pid in started}
            if working and stop_killing is None:
                stop_killing = time.monotonic() + 5
            alive = [w for w in workers if w.is_alive() and str(w.pid) in working]
            if not alive:
                continue
            victim = chooser.choice(alive)
            victim.kill()
            victim.join(timeout=5)
            killed.add(str(victim.pid))
            replacement = context.Process(target=work, args=(redis_url, key))
            replacement.start()
            workers.append(replacement)
        give_up = time.monotonic() + 30
        for worker in workers:
            worker.join(timeout=max(give_up - time.monotonic(), 0.1))
        assert not any(worker.is_alive() for worker in workers)
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.kill()
                worker.join(timeout=5)

    # The item left the set only through an ack: nothing waits, nothing is
    # in flight, nothing went to dead letters.
    assert killed
    assert len(jobs) == 0
    assert jobs.in_flight() == 0
    assert jobs.dead_letter_count() == 0
    done = records(r, f"{key}:done")
    assert {member for member, _ in done} == set(items)
    # Work done by a worker that lived on was acked, so only killed workers
    # may have done an item that another worker then did again.
    survivors = Counter(member for member, pid in done if pid not in killed)
    assert max(survivors.values()) == 1
    repeated = len(done) - ITEMS
    assert repeated <= sum(1 for _, pid in done if pid in killed)
