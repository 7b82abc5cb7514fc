"""Measure claim + ack per item against a raw ZPOPMIN on a private server.

Run from the repository root::

    python benchmarks/bench_leases.py [--items N] [--batch N] [--repeat N]

It starts its own redis-server on a free loopback port (never the one on
port 6379), fills a set, and times one consumer on one connection:

- ``zpopmin``: raw ``ZPOPMIN key 1`` per item, the at-most-once baseline;
- ``pop``: ``SortedSet.pop()``, which also returns expired leases first;
- ``claim+ack``: ``claim(1)`` then ``ack`` per item (two round trips);
- ``claim+ack_many``: ``claim(batch)`` then ``ack_many`` per batch, against
  ``ZPOPMIN key batch`` per batch.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from redset import SortedSet  # noqa: E402
from servers import RedisServer, free_port  # noqa: E402

KEY = "bench:leases"


def _fill(client: redis.Redis, items: int) -> None:
    client.delete(KEY)
    members = {f"item-{n:07d}": n for n in range(items)}
    client.zadd(KEY, members)


def _rate(items: int, consume: Callable[[], None]) -> float:
    started = time.perf_counter()
    consume()
    return items / (time.perf_counter() - started)


def run(
    items: int = 20_000,
    batch: int = 100,
    redis_server: str | None = None,
    repeat: int = 3,
) -> dict[str, float]:
    """Start a private server, time each way of consuming, return items/s.

    Each way runs ``repeat`` times, interleaved with the others, and the
    best rate counts, which filters out pauses caused by other processes on
    the machine. Keys of the result: ``zpopmin``, ``pop``, ``claim+ack``,
    ``zpopmin batch``, ``claim+ack_many``.
    """
    binary = redis_server or shutil.which("redis-server")
    if binary is None:
        raise SystemExit("no redis-server on PATH; pass --redis-server PATH")
    results: dict[str, float] = {}
    with RedisServer(binary, port=free_port()) as server:
        client = redis.Redis(host="127.0.0.1", port=server.port)
        jobs = SortedSet(client, KEY)
        batches = items // batch

        def zpopmin_each() -> None:
            for _ in range(items):
                client.zpopmin(KEY, 1)

        def pop_each() -> None:
            for _ in range(items):
                jobs.pop()

        def claim_ack_each() -> None:
            for _ in range(items):
                [lease] = jobs.claim(lease=30)
                jobs.ack(lease)

        def zpopmin_batches() -> None:
            for _ in range(batches):
                client.zpopmin(KEY, batch)

        def claim_ack_batches() -> None:
            for _ in range(batches):
                jobs.ack_many(jobs.claim(batch, lease=30))

        # Warm up the connection and the script cache first.
        _fill(client, 10)
        for _ in range(5):
            jobs.ack(jobs.claim(lease=30)[0])
            jobs.pop()
        ways = (
            ("zpopmin", zpopmin_each, items),
            ("pop", pop_each, items),
            ("claim+ack", claim_ack_each, items),
            ("zpopmin batch", zpopmin_batches, batches * batch),
            ("claim+ack_many", claim_ack_batches, batches * batch),
        )
        for _ in range(repeat):
            for name, consume, count in ways:
                _fill(client, count)
                rate = _rate(count, consume)
                results[name] = max(results.get(name, 0.0), rate)
                assert client.zcard(KEY) == 0, name
        client.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000, help="items per run")
    parser.add_argument("--batch", type=int, default=100, help="items per claim")
    parser.add_argument("--redis-server", help="path of the redis-server binary")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each way")
    arguments = parser.parse_args()
    results = run(
        arguments.items, arguments.batch, arguments.redis_server, arguments.repeat
    )
    for name, rate in results.items():
        print(f"{name:>16}: {rate:10,.0f} items/s")
    single = results["zpopmin"] / results["claim+ack"]
    batched = results["zpopmin batch"] / results["claim+ack_many"]
    print(f"zpopmin / claim+ack:            {single:.2f}x")
    print(f"zpopmin batch / claim+ack_many: {batched:.2f}x")
    print(f"zpopmin / pop:                  {results['zpopmin'] / results['pop']:.2f}x")


if __name__ == "__main__":
    main()
