"""Count the instructions redis-server runs per redset operation.

    python benchmarks/server_instructions.py [--operations N]

Timings on a shared VM move with every burst of other load, and even the
server's own INFO commandstats figures move by a third from run to run.
Instruction counts do not: each case starts redis-server from PATH under
valgrind's callgrind tool (which must be installed), on a unix socket in a
temporary directory, counts only while the case runs, and stops the server
at the end. The same commit gives the same counts to within about 1%.
Fewer instructions is less server work, though not in proportion to time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis

from redset import ScheduledSet, TimeSortedSet

KEY = "bench:set"

# A setup returns what its work needs per operation (the claimed leases),
# or an empty list.
Setup = Callable[[redis.Redis, int], list[Any]]
Work = Callable[[redis.Redis, int, list[Any]], object]


def fill(client: redis.Redis, count: int) -> list[Any]:
    client.zadd(KEY, {f"job:{i:07d}": i for i in range(count)})
    return []


def claimed(client: redis.Redis, count: int) -> list[Any]:
    fill(client, count)
    return list(TimeSortedSet(client, KEY).claim(count, lease=600))


def nothing(client: redis.Redis, count: int) -> list[Any]:
    return []


def claim_and_ack(client: redis.Redis, count: int, state: list[Any]) -> None:
    queue: TimeSortedSet[str] = TimeSortedSet(client, KEY)
    for _ in range(count):
        for lease in queue.claim(1, lease=60):
            queue.ack(lease)


def ack_each(client: redis.Redis, count: int, state: list[Any]) -> None:
    queue: TimeSortedSet[str] = TimeSortedSet(client, KEY)
    for lease in state:
        queue.ack(lease)


def claim_with_ack(client: redis.Redis, count: int, state: list[Any]) -> None:
    queue: TimeSortedSet[str] = TimeSortedSet(client, KEY)
    leases = queue.claim(1, lease=60)
    for _ in range(count - 1):
        leases = queue.claim(1, lease=60, ack=leases)
    queue.ack_many(leases)


def zpopmin_and_zrem(client: redis.Redis, count: int, state: list[Any]) -> None:
    for _ in range(count):
        [(member, _score)] = client.zpopmin(KEY)
        client.zrem(f"{KEY}:other", member)


def repeat(
    call: Callable[[TimeSortedSet[str]], object], *, scheduled: bool = False
) -> Work:
    """Return work that calls ``call`` once per operation on one set object.

    One object for the whole case, because a new object checks the server
    version with INFO on its first command.
    """

    def work(client: redis.Redis, count: int, state: list[Any]) -> None:
        queue = ScheduledSet(client, KEY) if scheduled else TimeSortedSet(client, KEY)
        for _ in range(count):
            call(queue)

    return work


def raw_repeat(call: Callable[[redis.Redis], object]) -> Work:
    def work(client: redis.Redis, count: int, state: list[Any]) -> None:
        for _ in range(count):
            call(client)

    return work


def add_each(client: redis.Redis, count: int, state: list[Any]) -> None:
    queue: TimeSortedSet[str] = TimeSortedSet(client, KEY)
    for i in range(count):
        queue.add(f"job:{i:07d}")


def zadd_each(client: redis.Redis, count: int, state: list[Any]) -> None:
    for i in range(count):
        client.zadd(KEY, {f"job:{i:07d}": time.time()}, nx=True)


# (name, setup, work, name of the raw case to compare with)
CASES: list[tuple[str, Setup, Work, str | None]] = [
    ("zadd(nx=True)", nothing, zadd_each, None),
    ("add", nothing, add_each, "zadd(nx=True)"),
    ("zpopmin()", fill, raw_repeat(lambda client: client.zpopmin(KEY)), None),
    ("pop", fill, repeat(lambda queue: queue.pop()), "zpopmin()"),
    (
        "ScheduledSet pop",
        fill,
        repeat(lambda queue: queue.pop(), scheduled=True),
        "zpopmin()",
    ),
    ("peek", fill, repeat(lambda queue: queue.peek()), None),
    ("len", fill, repeat(len), None),
    ("zpopmin() + zrem()", fill, zpopmin_and_zrem, None),
    ("claim + ack", fill, claim_and_ack, "zpopmin() + zrem()"),
    ("ack alone", claimed, ack_each, None),
    ("claim(ack=) loop", fill, claim_with_ack, "zpopmin()"),
]


def count_instructions(
    server_binary: str, operations: int, setup: Setup, work: Work
) -> float:
    """Return the instructions per operation of ``work`` on a fresh server."""
    with tempfile.TemporaryDirectory(prefix="redset-callgrind-") as directory:
        socket_path = os.path.join(directory, "redis.sock")
        output = os.path.join(directory, "callgrind.out")
        server = subprocess.Popen(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={output}",
                server_binary,
                "--port", "0",
                "--unixsocket", socket_path,
                "--save", "",
                "--appendonly", "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            client = _connect(socket_path)
            # Load every script outside the counted part: the first call of
            # each sends its source with EVAL.
            state = setup(client, operations + 1)
            work(client, 1, state[:1])
            subprocess.run(
                ["callgrind_control", "--instr=on", str(server.pid)],
                check=True,
                capture_output=True,
            )
            work(client, operations, state[1:])
            subprocess.run(
                ["callgrind_control", "--instr=off", str(server.pid)],
                check=True,
                capture_output=True,
            )
            client.shutdown(nosave=True)
            server.wait(timeout=60)
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()
        return _total(Path(output)) / operations


def _connect(socket_path: str, timeout: float = 60.0) -> redis.Redis:
    give_up = time.monotonic() + timeout
    while True:
        try:
            client = redis.Redis(unix_socket_path=socket_path)
            client.ping()
            return client
        except (redis.ConnectionError, FileNotFoundError):
            if time.monotonic() > give_up:
                raise
            time.sleep(0.1)


def _total(output: Path) -> int:
    """Read the instruction total from a callgrind output file.

    The "summary:" line in the header is written before counting starts,
    so the "totals:" line at the end is the one to read.
    """
    totals = [
        int(line.split()[1])
        for line in output.read_text().splitlines()
        if line.startswith("totals:")
    ]
    if not totals:
        raise ValueError(f"no totals line in {output}")
    return totals[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--operations", type=int, default=1000, help="operations counted per case"
    )
    arguments = parser.parse_args()
    if arguments.operations < 1:
        parser.error(f"--operations must be at least 1, got {arguments.operations}")

    missing = [
        tool for tool in ("valgrind", "callgrind_control") if not shutil.which(tool)
    ]
    server_binary = shutil.which("redis-server")
    if missing or server_binary is None:
        needed = ", ".join([*missing, *([] if server_binary else ["redis-server"])])
        sys.exit(f"benchmarks/server_instructions.py: not found on PATH: {needed}")

    version = (
        subprocess.run(
            [server_binary, "--version"], capture_output=True, text=True, check=True
        )
        .stdout.split()[2]
        .removeprefix("v=")
    )
    print(f"server: redis-server {version}; {arguments.operations} operations per case")

    counted: dict[str, float] = {}
    for name, setup, work, baseline in CASES:
        counted[name] = count_instructions(
            server_binary, arguments.operations, setup, work
        )
        ratio = ""
        if baseline is not None:
            ratio = f"{counted[name] / counted[baseline]:6.2f}x {baseline}"
        print(
            f"{name:20s} {counted[name]:10,.0f} instructions per op  {ratio}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
