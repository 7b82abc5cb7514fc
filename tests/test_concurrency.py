"""Many consumers on one set: every item is handed out exactly once.

Consumers run as separate processes started by a fork server, so no
process inherits a live connection, or as asyncio tasks on one connection
pool. Every process and task gives up after ``WORK_SECONDS``, and the test
joins or terminates every process it started.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.process
import multiprocessing.synchronize
import queue
import random
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import redis
import redis.asyncio

import redset.asyncio
from redset import EmptyError, ScheduledSet, SortedSet, TimeSortedSet

pytestmark = pytest.mark.slow

# The fork server imports these modules once and then forks each worker
# from that clean state, so a worker skips the imports that take a fresh
# interpreter about 0.3 s (measured with python -X importtime).
CONTEXT = multiprocessing.get_context("forkserver")
CONTEXT.set_forkserver_preload(["redis", "redset", __name__])

# Upper bound on the work of one process or task, so a bug cannot hang the
# suite. A healthy run needs well under a second of work.
WORK_SECONDS = 20.0
# Upper bound on starting the processes: each one imports redis and redset.
START_SECONDS = 30.0

ITEM_COUNT = 10_000
ITEMS = [f"item-{i:05d}" for i in range(ITEM_COUNT)]


def _run_worker(
    target: Callable[..., list[Any]],
    results: multiprocessing.Queue[tuple[int, list[Any] | None, str | None]],
    barrier: multiprocessing.synchronize.Barrier,
    number: int,
    redis_url: str,
    args: tuple[Any, ...],
) -> None:
    """Connect, wait until every worker is connected, then run ``target``."""
    try:
        with redis.Redis.from_url(redis_url) as client:
            client.ping()
            barrier.wait(timeout=START_SECONDS)
            results.put((number, target(client, *args), None))
    except BaseException:
        results.put((number, None, traceback.format_exc()))


class Workers:
    def __init__(
        self, results: multiprocessing.Queue[tuple[int, list[Any] | None, str | None]]
    ) -> None:
        self._results = results
        self.count = 0

    def results(self) -> list[list[Any]]:
        """Wait for every worker's result, in the order the workers were given."""
        found: dict[int, list[Any]] = {}
        deadline = time.monotonic() + WORK_SECONDS + 5
        while len(found) < self.count:
            try:
                number, values, error = self._results.get(
                    timeout=max(deadline - time.monotonic(), 0.1)
                )
            except queue.Empty:
                pytest.fail(f"{self.count - len(found)} workers sent no result")
            assert error is None, f"worker {number} failed:\n{error}"
            assert values is not None
            found[number] = values
        return [found[number] for number in range(self.count)]


@contextmanager
def start_workers(
    redis_url: str, jobs: Iterable[tuple[Callable[..., list[Any]], tuple[Any, ...]]]
) -> Iterator[Workers]:
    """Start one process per job and return once all of them are connected.

    Each job is ``(function, args)``; the function runs as
    ``function(client, *args)`` and returns a list. Processes still running
    when the block ends are terminated.
    """
    job_list = list(jobs)
    results: multiprocessing.Queue[tuple[int, list[Any] | None, str | None]] = (
        CONTEXT.Queue()
    )
    # The test process takes part too, so it can act once all are connected.
    barrier = CONTEXT.Barrier(len(job_list) + 1)
    processes = [
        CONTEXT.Process(
            target=_run_worker,
            args=(target, results, barrier, number, redis_url, args),
            daemon=True,
        )
        for number, (target, args) in enumerate(job_list)
    ]
    workers = Workers(results)
    workers.count = len(processes)
    started: list[multiprocessing.process.BaseProcess] = []
    try:
        for process in processes:
            process.start()
            started.append(process)
        barrier.wait(timeout=START_SECONDS)
        yield workers
    finally:
        # Releases workers still at the barrier when a start failed.
        barrier.abort()
        for worker in started:
            worker.join(timeout=5)
        for worker in started:
            if worker.is_alive():
                worker.terminate()
                worker.join(timeout=5)
        results.close()


def assert_each_exactly_once(handed_out: list[str], expected: Iterable[str]) -> None:
    counts = Counter(handed_out)
    twice = sorted(item for item, count in counts.items() if count > 1)
    assert twice == [], f"{len(twice)} items handed out more than once"
    expected_set = set(expected)
    missing = sorted(expected_set - counts.keys())
    assert missing == [], f"{len(missing)} items were never handed out"
    unknown = sorted(counts.keys() - expected_set)
    assert unknown == [], f"{len(unknown)} items handed out that were never added"


# -- workers: run in another process, so they are module-level functions -----


def take_until_empty(client: redis.Redis, key: str, count: int) -> list[str]:
    tasks = SortedSet(client, key)
    taken: list[str] = []
    deadline = time.monotonic() + WORK_SECONDS
    while time.monotonic() < deadline:
        batch = tasks.take(count)
        if not batch:
            break
        taken += batch
    return taken


def take_until_producers_finish(
    client: redis.Redis, key: str, finished: Any, producers: int
) -> list[str]:
    tasks = TimeSortedSet(client, key)
    taken: list[str] = []
    deadline = time.monotonic() + WORK_SECONDS
    while time.monotonic() < deadline:
        batch = tasks.take(50)
        if batch:
            taken += batch
        elif finished.value == producers:
            break
        else:
            time.sleep(0.001)
    return taken


def add_and_record_new(
    client: redis.Redis, key: str, items: list[str], finished: Any
) -> list[str]:
    """Add items one by one; return those whose add found them not waiting."""
    tasks = TimeSortedSet(client, key)
    added: list[str] = []
    try:
        for item in items:
            if tasks.add(item):
                added.append(item)
    finally:
        with finished.get_lock():
            finished.value += 1
    return added


def pop_due_items(
    client: redis.Redis, key: str, stop_after: Any, batch: int
) -> list[tuple[str, float]]:
    """Pop due items until none is left after ``stop_after`` (Unix time).

    Returns (item, time.time() right after the pop returned) pairs. With
    ``batch`` above 1 the worker calls take() instead of pop().
    """
    tasks = ScheduledSet(client, key)
    taken: list[tuple[str, float]] = []
    deadline = time.monotonic() + WORK_SECONDS
    while time.monotonic() < deadline:
        if batch > 1:
            items = tasks.take(batch, timeout=0.2)
        else:
            try:
                items = [tasks.pop(timeout=0.2)]
            except EmptyError:
                items = []
        now = time.time()
        taken += [(item, now) for item in items]
        if not items and now > stop_after.value:
            break
    return taken


# -- tests --------------------------------------------------------------------


def test_processes_take_each_item_once(
    redis_url: str, r: redis.Redis, key: str
) -> None:
    tasks = SortedSet(r, key)
    assert tasks.update(ITEMS) == ITEM_COUNT

    with start_workers(redis_url, [(take_until_empty, (key, 50))] * 8) as workers:
        taken = workers.results()

    assert_each_exactly_once([item for batch in taken for item in batch], ITEMS)
    assert len(tasks) == 0


def test_readded_items_handed_out_once_per_add(
    redis_url: str, r: redis.Redis, key: str
) -> None:
    """Producers re-add taken items and add new ones while consumers take.

    An add that returns True put the item in the set: it was not waiting.
    An add that returns False found the item waiting and queued nothing. So
    once the set is drained, each item must have been handed out exactly as
    many times as adds of it returned True: never more (no item is handed
    out twice per add), never fewer (nothing is lost).
    """
    tasks = TimeSortedSet(r, key)
    assert tasks.update(ITEMS) == ITEM_COUNT
    generator = random.Random(20261204)
    new_items = [f"new-{i:05d}" for i in range(1000)]
    # Two producers with overlapping choices, so some of their adds race.
    producer_items = [
        generator.sample(ITEMS, 1500) + generator.sample(new_items, 500)
        for _ in range(2)
    ]
    for items in producer_items:
        generator.shuffle(items)
    finished = CONTEXT.Value("i", 0)
    producers = [
        (add_and_record_new, (key, items, finished)) for items in producer_items
    ]
    consumers = [(take_until_producers_finish, (key, finished, 2))] * 6

    with start_workers(redis_url, producers + consumers) as workers:
        results = workers.results()

    added = Counter(ITEMS)
    for result in results[:2]:
        added.update(result)
    handed_out = Counter(item for result in results[2:] for item in result)
    # Adds that landed after a consumer's last take are still waiting.
    handed_out.update(tasks.take(len(added) + 1))
    over = {item: n for item, n in handed_out.items() if n > added[item]}
    assert over == {}, "items handed out more often than they were added"
    under = {item: n for item, n in added.items() if handed_out[item] < n}
    assert under == {}, "items added but never handed out"
    assert len(tasks) == 0
    # The run exercised the case under test: items taken, re-added, taken.
    assert max(handed_out.values()) > 1


def test_scheduled_items_popped_once_when_due(
    redis_url: str, r: redis.Redis, key: str
) -> None:
    tasks = ScheduledSet(r, key)
    stop_after = CONTEXT.Value("d", float("inf"))
    # Two consumers pop one item at a time, two take batches of 10.
    jobs = [(pop_due_items, (key, stop_after, batch)) for batch in (1, 1, 10, 10)]

    with start_workers(redis_url, jobs) as workers:
        # 2,000 items fall due in 40 steps of 25 ms, starting 100 ms from now.
        start = time.time() + 0.1
        due = {f"job-{i:04d}": start + (i % 40) * 0.025 for i in range(2000)}
        assert tasks.add_scored(due.items()) == len(due)
        stop_after.value = max(due.values()) + 0.3
        results = workers.results()

    popped = [pair for result in results for pair in result]
    assert_each_exactly_once([item for item, _ in popped], due)
    # The server's clock decides due-ness inside the pop script; this host's
    # clock read after the pop returned can only be later.
    early = [(item, due[item] - at) for item, at in popped if at < due[item] - 0.001]
    assert early == [], "items handed out before they were due"
    assert len(tasks) == 0


async def test_async_tasks_take_each_item_once(
    ar: redis.asyncio.Redis, key: str
) -> None:
    tasks = redset.asyncio.SortedSet(ar, key)
    assert await tasks.update(ITEMS) == ITEM_COUNT

    async def take_until_empty() -> list[str]:
        taken: list[str] = []
        while batch := await tasks.take(50):
            taken += batch
        return taken

    results = await asyncio.wait_for(
        asyncio.gather(*(take_until_empty() for _ in range(100))),
        timeout=WORK_SECONDS,
    )

    assert_each_exactly_once([item for batch in results for item in batch], ITEMS)
    assert await tasks.count() == 0
