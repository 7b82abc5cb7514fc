"""Measure the server time of redset's scripts on a private redis-server.

    python benchmarks/server_time.py

Round-trip ratios on a shared 2-core machine move with every burst of other
load. The server's own accounting moves less: after CONFIG RESETSTAT, INFO
commandstats gives the microseconds the server spent in EVALSHA per call,
which is the cost of the Lua scripts alone. Each case runs three times and
the lowest figure counts. The server is started on a free loopback port
(never 6379) and stopped at the end, as in benchmarks/run.py.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import redis

from redset import ScheduledSet, TimeSortedSet
from redset._leases import lease_keys

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "benchmarks")]

from run import start_server  # noqa: E402

KEY = "bench:set"
ITEMS = 2000
REPEATS = 3


def fill(client: redis.Redis, count: int) -> None:
    # Leases from an earlier case would hold members of the new set.
    client.delete(*lease_keys(KEY))
    client.zadd(KEY, {f"job:{i:07d}": i for i in range(count)})


def evalsha_microseconds(
    client: redis.Redis, setup: Callable[[], object], run: Callable[[], object]
) -> tuple[float, int]:
    """Return the lowest server time per EVALSHA over REPEATS runs, and calls."""
    best: tuple[float, int] | None = None
    for _ in range(REPEATS):
        setup()
        client.config_resetstat()
        run()
        stats: dict[str, dict[str, float]] = client.info("commandstats")  # type: ignore[assignment]  # redis-py types INFO replies loosely
        evalsha = stats.get("cmdstat_evalsha", {"usec_per_call": 0.0, "calls": 0})
        measured = (float(evalsha["usec_per_call"]), int(evalsha["calls"]))
        if best is None or measured[0] < best[0]:
            best = measured
    assert best is not None
    return best


def main() -> int:
    server = start_server()
    try:
        with redis.Redis.from_url(server.url) as client:
            version = client.info("server")["redis_version"]
            print(f"server: redis-server {version}; lowest of {REPEATS} runs")
            for name, setup, run in cases(client):
                per_call, calls = evalsha_microseconds(client, setup, run)
                print(f"{name:36s} {per_call:9.2f} us per call ({calls} calls)")
    finally:
        server.stop()
    return 0


def cases(
    client: redis.Redis,
) -> list[tuple[str, Callable[[], object], Callable[[], object]]]:
    queue: TimeSortedSet[str] = TimeSortedSet(client, KEY)
    schedule: ScheduledSet[str] = ScheduledSet(client, KEY)
    names = [f"job:{i:07d}" for i in range(ITEMS)]
    # The first call of each script falls back to EVAL, which INFO counts
    # apart from EVALSHA, so it does not change the figures.

    def empty() -> None:
        client.delete(*lease_keys(KEY))

    def filled() -> None:
        fill(client, ITEMS)

    def one_lease_in_flight() -> None:
        fill(client, ITEMS)
        queue.claim(1, lease=600)

    def claim_and_ack() -> None:
        for _ in names:
            for lease in queue.claim(1, lease=60):
                queue.ack(lease)

    def claim_with_ack() -> None:
        leases = queue.claim(1, lease=60)
        for _ in names[1:]:
            leases = queue.claim(1, lease=60, ack=leases)
        queue.claim(0, lease=60, ack=leases)

    # An add is a plain ZADD, so only ScheduledSet's add with a delay from
    # the server clock runs a script.
    return [
        (
            "ScheduledSet add(delay=)",
            empty,
            lambda: [schedule.add(n, delay=5) for n in names],
        ),
        ("pop", filled, lambda: [queue.pop() for _ in names]),
        (
            "pop, a lease in flight",
            one_lease_in_flight,
            lambda: [queue.pop() for _ in names[1:]],
        ),
        ("ScheduledSet pop", filled, lambda: [schedule.pop() for _ in names]),
        ("take(100)", filled, lambda: [queue.take(100) for _ in range(ITEMS // 100)]),
        ("peek", filled, lambda: [queue.peek() for _ in names]),
        ("len", filled, lambda: [len(queue) for _ in names]),
        (
            "ScheduledSet available",
            filled,
            lambda: [schedule.available() for _ in names],
        ),
        ("claim + ack (per script)", filled, claim_and_ack),
        ("claim(ack=) loop", filled, claim_with_ack),
    ]


if __name__ == "__main__":
    sys.exit(main())
