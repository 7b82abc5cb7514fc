"""Measure encode+decode of a small task per codec, next to the raw libraries.

Run with ``python benchmarks/bench_codecs.py`` in an environment with the
``dev`` extras installed. Each row times one encode followed by one decode
of the same value. ``ratio`` is the codec's rate divided by its baseline's,
so 0.5 means the codec does half as many round trips per second.

``run()`` returns the rows as dicts, so other tools can import it.
"""

from __future__ import annotations

import dataclasses
import json
import platform
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import msgpack
import pydantic

from redset import (
    DataclassCodec,
    JsonCodec,
    MsgpackCodec,
    PydanticCodec,
    SerializerCodec,
)

__all__ = ["run"]


class Task(pydantic.BaseModel):
    name: str
    priority: int
    due: datetime
    tags: list[str]
    meta: dict[str, int]


@dataclasses.dataclass
class Job:
    name: str
    priority: int
    tags: list[str]
    meta: dict[str, int]


TASK = Task(
    name="resize image 1234",
    priority=3,
    due=datetime(2024, 5, 1, 10, 30, tzinfo=timezone.utc),
    tags=["images", "thumbnails"],
    meta={"width": 640, "height": 480, "retries": 0},
)
JOB = Job(name=TASK.name, priority=TASK.priority, tags=TASK.tags, meta=TASK.meta)
PLAIN = {
    "name": TASK.name,
    "priority": TASK.priority,
    "tags": TASK.tags,
    "meta": TASK.meta,
}


@dataclasses.dataclass
class Case:
    name: str
    baseline: str
    value: Any
    encode: Callable[[Any], bytes | str]
    decode: Callable[[Any], Any]


def _cases() -> list[Case]:
    json_codec = JsonCodec()
    msgpack_codec = MsgpackCodec()
    pydantic_codec = PydanticCodec(Task)
    msgpack_model_codec = MsgpackCodec(Task)
    dataclass_codec = DataclassCodec(Job)
    serializer_codec = SerializerCodec(json)
    return [
        Case("json.dumps/loads", "json.dumps/loads", PLAIN, json.dumps, json.loads),
        Case(
            "msgpack.packb/unpackb",
            "msgpack.packb/unpackb",
            PLAIN,
            msgpack.packb,
            msgpack.unpackb,
        ),
        Case(
            "model_dump_json/model_validate_json",
            "model_dump_json/model_validate_json",
            TASK,
            Task.model_dump_json,
            Task.model_validate_json,
        ),
        Case(
            "SerializerCodec(json)",
            "json.dumps/loads",
            PLAIN,
            serializer_codec.encode,
            serializer_codec.decode,
        ),
        Case(
            "JsonCodec()",
            "json.dumps/loads",
            PLAIN,
            json_codec.encode,
            json_codec.decode,
        ),
        Case(
            "MsgpackCodec()",
            "msgpack.packb/unpackb",
            PLAIN,
            msgpack_codec.encode,
            msgpack_codec.decode,
        ),
        Case(
            "DataclassCodec(Job)",
            "json.dumps/loads",
            JOB,
            dataclass_codec.encode,
            dataclass_codec.decode,
        ),
        Case(
            "PydanticCodec(Task)",
            "model_dump_json/model_validate_json",
            TASK,
            pydantic_codec.encode,
            pydantic_codec.decode,
        ),
        Case(
            "MsgpackCodec(Task)",
            "model_dump_json/model_validate_json",
            TASK,
            msgpack_model_codec.encode,
            msgpack_model_codec.decode,
        ),
    ]


def _loops_for(case: Case, seconds: float) -> int:
    """Return how many round trips of ``case`` take about ``seconds``."""
    encode, decode, value = case.encode, case.decode, case.value
    loops = 1
    while True:
        started = time.perf_counter()
        for _ in range(loops):
            decode(encode(value))
        elapsed = time.perf_counter() - started
        if elapsed >= seconds / 4:
            return max(1, int(loops * seconds / elapsed))
        loops *= 2


def _round_trips_per_second(case: Case, loops: int) -> float:
    encode, decode, value = case.encode, case.decode, case.value
    started = time.perf_counter()
    for _ in range(loops):
        decode(encode(value))
    return loops / (time.perf_counter() - started)


def run(
    print_fn: Callable[[str], object] = print, seconds: float = 0.3, repeats: int = 5
) -> list[dict[str, Any]]:
    """Measure every case, print a table and return one dict per case.

    Each dict has ``name``, ``baseline``, ``ops_per_second`` (encode+decode
    round trips per second, the best of ``repeats`` runs of about
    ``seconds``), and ``ratio`` to the baseline's rate.
    """
    print_fn(
        f"Python {platform.python_version()} on {platform.platform()}; "
        f"msgpack {'.'.join(map(str, msgpack.version))}, pydantic {pydantic.VERSION}"
    )
    cases = _cases()
    loops = [_loops_for(case, seconds) for case in cases]

    # Cases take turns in each repeat, so a slow spell on a shared machine
    # lowers every case's rate alike. The best run of each case counts.
    best = [0.0] * len(cases)
    for _ in range(repeats):
        for index, case in enumerate(cases):
            rate = _round_trips_per_second(case, loops[index])
            best[index] = max(best[index], rate)

    rates = {case.name: rate for case, rate in zip(cases, best, strict=True)}
    rows: list[dict[str, Any]] = [
        {
            "name": case.name,
            "baseline": case.baseline,
            "ops_per_second": rates[case.name],
            "ratio": rates[case.name] / rates[case.baseline],
        }
        for case in cases
    ]

    width = max(len(row["name"]) for row in rows)
    print_fn(f"{'codec':<{width}}  {'ops/s':>9}  ratio  baseline")
    for row in rows:
        print_fn(
            f"{row['name']:<{width}}  {row['ops_per_second']:>9,.0f}  "
            f"{row['ratio']:5.2f}  {row['baseline']}"
        )
    return rows


if __name__ == "__main__":
    run()
