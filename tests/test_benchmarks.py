"""The benchmark scripts still run against the current code.

They read private names of redset (its pop scripts, its lease keys), so a
change inside redset can break them while every other test passes. Each
test here runs one script's cases with a few operations and checks that
they produced figures, never what the figures are.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest
import redis

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def load(name: str) -> ModuleType:
    """Import ``benchmarks/<name>.py`` under a name no test module uses."""
    spec = importlib.util.spec_from_file_location(
        f"redset_benchmark_{name}", BENCHMARKS / f"{name}.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def test_run_cases_give_results(redis_url: str) -> None:
    bench = load("run")
    sizes = bench.Sizes(
        single_ops=20,
        rounds=2,
        bulk_items=20,
        bulk_rounds=1,
        take_calls=2,
        codec_items=3,
        queue_items=10,
        queue_rounds=1,
        memory_items=10,
    )
    with redis.Redis.from_url(redis_url) as client:
        results = [
            bench.bench_add(client, sizes),
            *bench.bench_pop(client, sizes),
            bench.bench_update(client, sizes),
            bench.bench_take(client, sizes),
            bench.bench_scheduled_pop(client, sizes),
            *bench.bench_claim_ack(client, sizes),
        ]
        for name, case in bench.shipped_codecs().items():
            results.append(bench.bench_codec(client, sizes, name, case))
    assert len(results) == 10 + len(bench.shipped_codecs())
    for result in results:
        assert result.redset_seconds > 0
        assert result.raw_seconds > 0
        assert len(result.row()) == 8


def test_async_benchmark_gives_results() -> None:
    bench = load("bench_async")
    results = bench.run(operations=40, tasks=4, repeats=1)
    assert [result.operation for result in results] == [
        "add (ZADD)",
        "pop (ZPOPMIN)",
    ]
    for result in results:
        assert result.ratio > 0
        assert result.overhead_microseconds > 0


def test_server_time_cases_give_results(monkeypatch: pytest.MonkeyPatch) -> None:
    bench = load("server_time")
    monkeypatch.setattr(bench, "ITEMS", 200)
    monkeypatch.setattr(bench, "REPEATS", 1)
    server = bench.start_server()
    try:
        with redis.Redis.from_url(server.url) as client:
            cases = bench.cases(client)
            for _name, setup, run in cases:
                per_call, calls = bench.evalsha_microseconds(client, setup, run)
                assert per_call > 0
                assert calls > 0
    finally:
        server.stop()
    assert len(cases) == 10


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("valgrind") is None or shutil.which("redis-server") is None,
    reason="needs valgrind and redis-server on PATH",
)
def test_instruction_counts_for_pop() -> None:
    bench = load("server_instructions")
    binary = shutil.which("redis-server")
    assert binary is not None
    cases = {name: (setup, work) for name, setup, work, _ in bench.CASES}
    for name in ("zpopmin()", "pop"):
        setup, work = cases[name]
        assert bench.count_instructions(binary, 3, setup, work) > 0
