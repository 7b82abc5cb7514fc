"""What type checkers infer for the provided codecs; checked by mypy, never run."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pydantic
import redis
import redis.asyncio
from typing_extensions import TypedDict, assert_type

import redset.asyncio
from redset import (
    DataclassCodec,
    JsonCodec,
    MsgpackCodec,
    PydanticCodec,
    SerializerCodec,
    SortedSet,
    TimeSortedSet,
)


class Task(pydantic.BaseModel):
    name: str


@dataclasses.dataclass
class Job:
    name: str


class Point(TypedDict):
    x: int
    y: int


def check_codec_types() -> None:
    assert_type(JsonCodec(), JsonCodec[Any])
    assert_type(JsonCodec(tuple[int, int]), JsonCodec[tuple[int, int]])
    assert_type(JsonCodec(Point), JsonCodec[Point])
    assert_type(JsonCodec(int | None), JsonCodec[Any])
    assert_type(MsgpackCodec(), MsgpackCodec[Any])
    assert_type(MsgpackCodec(tuple[int, str]), MsgpackCodec[tuple[int, str]])
    assert_type(PydanticCodec(Task), PydanticCodec[Task])
    assert_type(DataclassCodec(Job), DataclassCodec[Job])
    assert_type(JsonCodec(tuple[int, int]).decode(b"[1,2]"), tuple[int, int])
    assert_type(PydanticCodec(Task).decode(b"{}"), Task)


def check_sets(r: redis.Redis) -> None:
    assert_type(SortedSet(r, "k", codec=PydanticCodec(Task)), SortedSet[Task])
    assert_type(SortedSet(r, "k", codec=DataclassCodec(Job)), SortedSet[Job])
    assert_type(SortedSet(r, "k", codec=JsonCodec()), SortedSet[Any])
    assert_type(
        SortedSet(r, "k", codec=JsonCodec(tuple[int, int])), SortedSet[tuple[int, int]]
    )
    assert_type(SortedSet(r, "k", codec=JsonCodec(Point)), SortedSet[Point])
    assert_type(SortedSet(r, "k", codec=MsgpackCodec()), SortedSet[Any])
    assert_type(
        SortedSet(r, "k", codec=MsgpackCodec(tuple[int, str])),
        SortedSet[tuple[int, str]],
    )
    assert_type(TimeSortedSet(r, "k", codec=SerializerCodec(json)), TimeSortedSet[Any])
    assert_type(SortedSet(r, "k", codec=PydanticCodec(Task)).pop(), Task)


async def check_async_sets(r: redis.asyncio.Redis) -> None:
    s = redset.asyncio.SortedSet(r, "k", codec=PydanticCodec(Task))
    assert_type(s, redset.asyncio.SortedSet[Task])
    assert_type(await s.pop(), Task)
    assert_type(
        redset.asyncio.SortedSet(r, "k", codec=DataclassCodec(Job)),
        redset.asyncio.SortedSet[Job],
    )
