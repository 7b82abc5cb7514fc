"""``redset demo``: crawl this Python's import graph with worker processes.

The frontier is a TimeSortedSet of module names handed out with leases. Each
worker claims a name, parses that module's source (see ``graph``), and adds
every module it imports. Two ExpiringSets keep the books. ``seen`` contains
every module ever queued, so a module imported from many places is queued
once: its later adds return False and are counted as duplicates absorbed.
``crawled`` contains every module whose imports are all queued. The crawl
is complete when ``crawled`` is as large as ``seen``.

A worker that dies while it holds a lease loses nothing: once the lease
expires, the module goes back to the frontier and another worker processes
it again, which its lease's ``attempts`` count shows.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import shutil
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from multiprocessing import resource_tracker
from multiprocessing.context import SpawnContext
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import TextIO

import redis

from .._leases import Lease, lease_keys
from .._replies import as_text
from .._sync import ExpiringSet, TimeSortedSet
from .connection import CommandError, redact
from .graph import check_seeds, module_imports, walk
from .output import escape_unprintable, plural_suffix, table

__all__ = ["DEFAULT_SEEDS", "RunKeys", "run_demo", "run_worker"]

DEFAULT_SEEDS = ("json", "http.client", "email")

# Seconds a worker may keep a module before the module returns to the frontier.
# Short, so that a killed worker's module comes back quickly.
LEASE_SECONDS = 2.0

# Seconds a worker waits for a module before it checks whether the crawl is
# complete.
CLAIM_WAIT = 0.2

# How long the run's ExpiringSets remember a module. An ExpiringSet expires
# its members, never its key, so this does not bound how long a run's keys
# live. KEY_TTL_SECONDS does.
MEMORY_SECONDS = 3600.0

# TTL in seconds of every key of the run. While the run lasts, the parent sets
# it again every KEY_REFRESH_SECONDS, because a sorted set that empties is
# deleted and the next write creates it without a TTL. A worker whose parent
# died sets it once more before it exits. So the keys of a run that was
# killed expire at most KEY_TTL_SECONDS after its last process exits. The
# TTL is long because a run that is suspended (Ctrl-Z, a paused machine) for
# longer loses keys it needs and can never complete.
# NOTE: when the parent and every worker die at once, as with SIGKILL to the
# whole process group, a key created since the last refresh keeps no TTL.
KEY_TTL_SECONDS = 3600.0
KEY_REFRESH_SECONDS = 1.0

# With --kill-one, the worker that makes the run's fifth claim stops while
# it holds that lease, and the parent kills it there. Counting claims across
# the run, not per worker, makes the kill happen in any graph of five or more
# modules, however the claims are shared out.
KILL_AT_CLAIM = 5

# Seconds the parent and the workers wait for each other at the start.
START_TIMEOUT = 60.0

# Seconds between two updates of the progress line and two liveness checks.
SUPERVISE_INTERVAL = 0.1

# Signals that stop the run: Ctrl-C, and the two that the command turns into
# an exit with cleanup (see _exit_on_termination_signals in __init__.py).
# Windows has no SIGHUP and no signal masks.
STOP_SIGNALS = frozenset(
    getattr(signal, name)
    for name in ("SIGINT", "SIGTERM", "SIGHUP")
    if hasattr(signal, name)
)
CAN_BLOCK_SIGNALS = hasattr(signal, "pthread_sigmask")


@dataclass(frozen=True)
class RunKeys:
    """The Redis keys of one demo run, under a unique prefix.

    The prefix is a cluster hash tag, so every key of the run, the sets'
    auxiliary keys included, lives in one slot.
    """

    prefix: str

    @classmethod
    def new(cls) -> RunKeys:
        return cls(f"redset-demo:{{{uuid.uuid4().hex[:12]}}}")

    @property
    def frontier(self) -> str:
        return f"{self.prefix}:frontier"

    @property
    def seen(self) -> str:
        return f"{self.prefix}:seen"

    @property
    def crawled(self) -> str:
        return f"{self.prefix}:crawled"

    @property
    def stats(self) -> str:
        return f"{self.prefix}:stats"

    @property
    def repeated(self) -> str:
        return f"{self.prefix}:processed-again"

    @property
    def names(self) -> tuple[str, ...]:
        """Every key the run writes, the frontier's auxiliary keys included."""
        return (
            *lease_keys(self.frontier),
            self.seen,
            self.crawled,
            self.stats,
            self.repeated,
        )


class Crawl:
    """The sets and counters of one run, on one client."""

    def __init__(self, client: redis.Redis, keys: RunKeys) -> None:
        self.client = client
        self.keys = keys
        self.frontier: TimeSortedSet[str] = TimeSortedSet(client, keys.frontier)
        self.seen: ExpiringSet[str] = ExpiringSet(client, keys.seen, ttl=MEMORY_SECONDS)
        self.crawled: ExpiringSet[str] = ExpiringSet(
            client, keys.crawled, ttl=MEMORY_SECONDS
        )

    def queue(self, modules: Sequence[str]) -> int:
        """Queue the modules never seen before; return how many were not new."""
        new = [module for module in modules if self.seen.add(module)]
        if new:
            self.frontier.update(new)
        return len(modules) - len(new)

    def requeue_unfinished(self, modules: Sequence[str]) -> None:
        """Queue modules that were seen but never crawled.

        A worker killed between marking a module seen and queuing it would
        otherwise lose it. A module that is waiting already is absorbed by
        the frontier.
        """
        unfinished = [module for module in modules if module not in self.crawled]
        if unfinished:
            self.frontier.update(unfinished)

    def is_complete(self) -> bool:
        # Read crawled first: every crawled module is in seen, and its imports
        # were in seen before it was crawled, so equal sizes read in this
        # order mean nothing is left.
        crawled = len(self.crawled)
        return crawled == len(self.seen)

    def count(self, field: str, amount: int = 1) -> int:
        """Add ``amount`` to a counter of the run; return the new value."""
        return self.client.hincrby(self.keys.stats, field, amount)

    def stats(self) -> dict[str, int]:
        raw = self.client.hgetall(self.keys.stats)
        return {as_text(key): int(value) for key, value in raw.items()}

    def expire(self) -> None:
        """Set the TTL of every key of the run to KEY_TTL_SECONDS.

        The PEXPIRE commands go in one round trip. Redis skips a key that
        does not exist.
        """
        milliseconds = round(KEY_TTL_SECONDS * 1000)
        with self.client.pipeline(transaction=False) as pipeline:
            for name in self.keys.names:
                pipeline.pexpire(name, milliseconds)
            pipeline.execute()

    def delete(self) -> None:
        """Delete every key of the run."""
        # The sets' auxiliary keys start with a copy of the hash tag, so the
        # prefix can stand anywhere in a key of the run.
        pattern = f"*{self.keys.prefix}:*"
        names = list(self.client.scan_iter(match=pattern, count=1000))
        if names:
            self.client.delete(*names)


@dataclass(frozen=True)
class WorkerSettings:
    url: str
    keys: RunKeys
    number: int
    # Stop on the lease of the run's claim with this number and report it.
    kill_at_claim: int | None = None


def run_worker(
    settings: WorkerSettings,
    ready: Barrier,
    kill_queue: Queue[tuple[int, str]] | None,
) -> None:
    """Crawl until the run is complete; the body of each worker process.

    The worker connects, then waits at ``ready`` for the others, so that the
    time measured is the crawl's and not the processes' start-up.
    """
    # The worker starts with STOP_SIGNALS blocked (see _stop_signals_blocked).
    # Ignoring SIGINT drops an interrupt that arrived during start-up: the
    # parent alone handles Ctrl-C, by stopping the workers. SIGTERM and SIGHUP
    # keep their default action, so one that arrived during start-up ends the
    # worker as soon as they are unblocked.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if CAN_BLOCK_SIGNALS:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS - {signal.SIGINT})
    try:
        with redis.Redis.from_url(settings.url) as client:
            crawl = Crawl(client, settings.keys)
            ready.wait(timeout=START_TIMEOUT)
            _crawl(crawl, settings, kill_queue)
    except Exception as error:
        # One line instead of multiprocessing's traceback. The parent reads
        # the exit code and the module comes back when the lease expires.
        # The line and its newline go out in one write: print() makes two,
        # and the lines of workers that fail together then interleave.
        message = escape_unprintable(" ".join(str(error).split()))
        sys.stderr.write(
            f"redset: error: worker {settings.number} failed: "
            f"{type(error).__name__}: {message}\n"
        )
        sys.stderr.flush()
        sys.exit(1)


@contextmanager
def _heartbeat(frontier: TimeSortedSet[str], lease: Lease[str]) -> Iterator[None]:
    """Extend ``lease`` every third of its length until the block ends.

    A module that takes long to parse (or a stalled machine) must not let the
    lease run out, or another worker would process the module again.
    """

    def beat() -> bool:
        try:
            # False when the lease was lost already: nothing left to extend.
            return frontier.extend(lease, LEASE_SECONDS)
        except redis.RedisError:
            # The worker's next command meets the same failure and reports
            # it in one line, where a traceback from here would not be.
            return False

    with _repeated(beat, LEASE_SECONDS / 3, "lease-heartbeat"):
        yield


@contextmanager
def _repeated(step: Callable[[], bool], interval: float, name: str) -> Iterator[None]:
    """Call ``step`` every ``interval`` seconds in a thread until the block ends.

    The thread stops early when ``step`` returns False. It starts with the
    stop signals blocked, because a new thread inherits the signal mask, so
    only the main thread receives them (see _ttls_refreshed).
    """
    done = threading.Event()

    def loop() -> None:
        while not done.wait(interval):
            if not step():
                return

    thread = threading.Thread(target=loop, name=name, daemon=True)
    with _stop_signals_blocked():
        thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def _crawl(
    crawl: Crawl, settings: WorkerSettings, kill_queue: Queue[tuple[int, str]] | None
) -> None:
    parent = os.getppid()
    while True:
        if os.getppid() != parent:
            # The parent died, so no one reads the result or refreshes the
            # TTLs. Keys this worker created since the parent's last refresh
            # have none, so set them once more after this worker's last write.
            crawl.expire()
            return
        leases = crawl.frontier.claim(1, lease=LEASE_SECONDS, timeout=CLAIM_WAIT)
        if not leases:
            if crawl.is_complete():
                return
            continue
        lease = leases[0]
        module = lease.item
        claim_number = crawl.count("claims")
        if settings.kill_at_claim == claim_number and kill_queue is not None:
            kill_queue.put((settings.number, module))
            # The parent kills this process here. If the parent dies first,
            # the check at the top of the loop ends this worker.
            while os.getppid() == parent:
                time.sleep(CLAIM_WAIT)
            continue

        with _heartbeat(crawl.frontier, lease):
            imports = module_imports(module)

        crawl.count("duplicate_adds", crawl.queue(imports))
        if lease.attempts > 1:
            crawl.requeue_unfinished(imports)
        first_time = crawl.crawled.add(module)
        if lease.attempts > 1 or not first_time:
            crawl.count("processed_again")
            crawl.client.rpush(crawl.keys.repeated, module)
        crawl.frontier.ack(lease)


@dataclass
class Outcome:
    """The supervisor's record of a run: its time, the kill, and failed workers."""

    elapsed: float
    killed: tuple[int, str] | None
    failed: list[int]


def _terminal_columns(stream: TextIO) -> int:
    """Return the width of the terminal ``stream`` writes to, in columns."""
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError):
        columns = 0
    # A terminal that reports 0 columns has no size set. shutil then reads
    # COLUMNS, then the size of stdout's terminal, else takes 80.
    return columns or shutil.get_terminal_size().columns


def _progress(crawl: Crawl, stream: TextIO, final: bool = False) -> None:
    crawled = len(crawl.crawled)
    seen = max(len(crawl.seen), 1)
    width = 30
    filled = width * crawled // seen
    bar = "#" * filled + "." * (width - filled)
    text = (
        f"[{bar}] {crawled}/{seen} modules crawled, "
        f"{crawl.frontier.in_flight()} in flight"
    )
    # A line that reaches the last column may wrap, and then each redraw
    # after "\r" starts on a new line. Padding to the width erases the rest
    # of a longer line drawn before.
    fit = max(_terminal_columns(stream) - 1, 1)
    line = "\r" + text[:fit].ljust(fit)
    print(line, end="\n" if final else "", file=stream, flush=True)


def _supervise(
    crawl: Crawl,
    processes: list[BaseProcess],
    kill_queue: Queue[tuple[int, str]] | None,
    progress: TextIO | None,
) -> Outcome:
    started = time.perf_counter()
    killed: tuple[int, str] | None = None
    while any(process.is_alive() for process in processes):
        if kill_queue is not None and killed is None:
            try:
                killed = kill_queue.get(timeout=SUPERVISE_INTERVAL)
            except queue.Empty:
                pass
            else:
                victim = processes[killed[0] - 1]
                assert victim.pid is not None
                os.kill(victim.pid, signal.SIGKILL)
                victim.join()
        else:
            time.sleep(SUPERVISE_INTERVAL)
        if progress is not None:
            _progress(crawl, progress)
    elapsed = time.perf_counter() - started
    if progress is not None:
        _progress(crawl, progress, final=True)
    failed = [
        number
        for number, process in enumerate(processes, start=1)
        if process.exitcode != 0 and (killed is None or number != killed[0])
    ]
    return Outcome(elapsed, killed, failed)


def run_demo(
    url: str,
    client: redis.Redis,
    out: TextIO,
    *,
    workers: int,
    seeds: Sequence[str] | None,
    kill_one: bool,
) -> int:
    """Run the crawl, print its summary, and return 0 when it matches a walk."""
    chosen = list(dict.fromkeys(seeds or DEFAULT_SEEDS))
    missing = check_seeds(chosen)
    if missing:
        raise CommandError(
            f"module {missing[0]!r} is not found on the module search path of "
            f"{sys.executable}; pass an importable module name to --seed"
        )
    if kill_one and workers < 2:
        # The command line rejects this as a usage error before connecting.
        raise ValueError("kill_one needs 2 or more workers")
    # The crawl's own time (outcome.elapsed) starts when every worker is
    # ready. This one also counts starting the worker processes, waiting for
    # them to exit and deleting the run's keys.
    run_started = time.perf_counter()
    crawl = Crawl(client, RunKeys.new())
    # The semaphores of the queue and the barrier need multiprocessing's
    # resource tracker, a process in this process group. It ignores SIGINT
    # and SIGTERM, and CPython 3.11's tracker leaves an inherited block of
    # SIGHUP in place. Started with SIGHUP blocked, it survives a terminal
    # that closes. Otherwise this process starts a new tracker at exit to
    # unregister the semaphores, and a warning and a traceback follow.
    with _stop_signals_blocked():
        resource_tracker.ensure_running()
    context = multiprocessing.get_context("spawn")
    kill_queue: Queue[tuple[int, str]] | None = context.Queue() if kill_one else None
    ready = context.Barrier(workers + 1)
    processes: list[BaseProcess] = []
    try:
        crawl.queue(chosen)
        with _ttls_refreshed(crawl):
            _start_workers(
                context, url, crawl.keys, workers, ready, kill_queue, processes
            )
            try:
                ready.wait(timeout=START_TIMEOUT)
            except threading.BrokenBarrierError:
                raise CommandError(
                    f"the worker processes did not start within {START_TIMEOUT:g} s"
                ) from None
            progress = sys.stderr if sys.stderr.isatty() else None
            outcome = _supervise(crawl, processes, kill_queue, progress)
            if outcome.failed:
                raise CommandError(
                    f"worker {outcome.failed[0]} exited with status "
                    f"{processes[outcome.failed[0] - 1].exitcode}; its own error "
                    "line, if it printed one, is above"
                )
            crawled = set(crawl.crawled)
            stats = crawl.stats()
            repeated = [
                as_text(name) for name in client.lrange(crawl.keys.repeated, 0, -1)
            ]
            in_flight = crawl.frontier.in_flight()
    except BaseException:
        # The error or interrupt in flight is the one to report. When the
        # server went away, deleting the keys fails too, and that error would
        # hide the first one. Keys left behind expire within KEY_TTL_SECONDS,
        # except one created since the last refresh.
        with suppress(redis.RedisError):
            _stop_run(crawl, processes)
        raise
    _stop_run(crawl, processes)
    run_elapsed = time.perf_counter() - run_started

    walk_started = time.perf_counter()
    expected = walk(chosen)
    walk_elapsed = time.perf_counter() - walk_started
    matches = crawled == expected
    _print_summary(
        out,
        url=url,
        workers=workers,
        seeds=chosen,
        kill_one=kill_one,
        crawled=crawled,
        stats=stats,
        repeated=repeated,
        in_flight=in_flight,
        outcome=outcome,
        run_elapsed=run_elapsed,
        expected=expected,
        walk_elapsed=walk_elapsed,
    )
    return 0 if matches else 1


def _start_workers(
    context: SpawnContext,
    url: str,
    keys: RunKeys,
    workers: int,
    ready: Barrier,
    kill_queue: Queue[tuple[int, str]] | None,
    processes: list[BaseProcess],
) -> None:
    """Start the worker processes, adding each to ``processes`` as it starts."""
    for number in range(1, workers + 1):
        settings = WorkerSettings(
            url,
            keys,
            number,
            kill_at_claim=KILL_AT_CLAIM if kill_queue is not None else None,
        )
        process: BaseProcess = context.Process(
            target=run_worker,
            args=(settings, ready, kill_queue),
            name=f"redset-demo-worker-{number}",
        )
        # Blocking the signals around one start at a time lets a signal that
        # arrives meanwhile stop the run before the next start.
        with _stop_signals_blocked():
            process.start()
            processes.append(process)


def _stop_run(crawl: Crawl, processes: Sequence[BaseProcess]) -> None:
    """Kill the workers that still run, wait for them, and delete the keys."""
    for process in processes:
        if process.is_alive():
            process.kill()
        process.join()
    crawl.delete()


@contextmanager
def _ttls_refreshed(crawl: Crawl) -> Iterator[None]:
    """Set the TTLs of the run's keys now and every KEY_REFRESH_SECONDS.

    A thread does it, so that the TTLs stay set while the main thread waits
    for a worker process to start or for the workers to be ready.
    """

    def refresh() -> bool:
        # The main thread meets the same failure and reports it. A transient
        # failure only skips this refresh.
        with suppress(redis.RedisError):
            crawl.expire()
        return True

    crawl.expire()
    # The thread starts with the stop signals blocked, so only the main
    # thread receives them, and they stay pending while it blocks them
    # around a worker's start.
    with _repeated(refresh, KEY_REFRESH_SECONDS, "key-ttl-refresh"):
        yield


@contextmanager
def _stop_signals_blocked() -> Iterator[None]:
    """Block STOP_SIGNALS in this thread until the block ends.

    Ctrl-C at a terminal reaches the whole process group. A spawned worker
    imports modules before ``run_worker`` runs, and an interrupt then made
    it print a traceback. A new process inherits the blocked signals, so
    they stay pending there until the worker ignores SIGINT and unblocks
    the others. In the parent they are delivered when the block ends, so the
    parent still stops the run. Blocking them during ``process.start()``
    also keeps the parent from leaving a half-started worker behind.
    """
    if not CAN_BLOCK_SIGNALS:
        yield
        return
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def _print_summary(
    out: TextIO,
    *,
    url: str,
    workers: int,
    seeds: Sequence[str],
    kill_one: bool,
    crawled: set[str],
    stats: dict[str, int],
    repeated: list[str],
    in_flight: int,
    outcome: Outcome,
    run_elapsed: float,
    expected: set[str],
    walk_elapsed: float,
) -> None:
    if outcome.killed is not None:
        number, module = outcome.killed
        killed = f"worker {number}, holding the lease on {module}"
    elif kill_one:
        # Each module is claimed once unless its lease expires, so a graph of
        # fewer than KILL_AT_CLAIM modules ends before the kill.
        claims = stats.get("claims", 0)
        killed = (
            f"none: --kill-one kills at claim {KILL_AT_CLAIM}, and the crawl "
            f"ended after {claims} claim{plural_suffix(claims)}"
        )
    else:
        killed = "none"
    again = str(stats.get("processed_again", 0))
    if repeated:
        again += f" ({', '.join(sorted(set(repeated)))})"
    throughput = len(crawled) / outcome.elapsed if outcome.elapsed else 0.0
    walked = f"{len(expected)} module{plural_suffix(len(expected))}"
    rows = [
        ("redis", redact(url)),
        ("seeds", ", ".join(seeds)),
        ("workers", str(workers)),
        ("worker killed", killed),
        ("modules crawled", str(len(crawled))),
        ("duplicate adds absorbed", str(stats.get("duplicate_adds", 0))),
        ("modules processed twice", again),
        ("left in flight", str(in_flight)),
        ("crawl time", f"{outcome.elapsed:.2f} s"),
        ("throughput", f"{throughput:.0f} modules/s"),
        ("crawl time with worker start-up and shut-down", f"{run_elapsed:.2f} s"),
        ("single-process walk", f"{walked} in {walk_elapsed:.2f} s"),
        ("matches the walk", "yes" if crawled == expected else "no"),
    ]
    python = f"Python {sys.version.split()[0]} at {sys.executable}"
    print(table(("import graph of", python), rows), file=out)
    if crawled != expected:
        extra = sorted(crawled - expected)[:5]
        lost = sorted(expected - crawled)[:5]
        print(f"only in the crawl: {extra}; only in the walk: {lost}", file=out)
