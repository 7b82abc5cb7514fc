"""The provided codecs: round trips, canonical bytes, errors, and use in a set."""

from __future__ import annotations

import dataclasses
import json
import logging
import random
import re
import subprocess
import sys
from collections import namedtuple
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pydantic
import pytest
import redis
import redis.asyncio
from hypothesis import given, settings
from hypothesis import strategies as st
from typing_extensions import TypedDict

import redset.asyncio
from redset import (
    BytesCodec,
    Codec,
    DataclassCodec,
    DecodeError,
    EncodeError,
    InvalidTypeError,
    InvalidValueError,
    JsonCodec,
    MsgpackCodec,
    PydanticCodec,
    SerializerCodec,
    SortedSet,
    TextCodec,
)
from redset.codecs import resolve_codec
from redset.serializers import NamedtupleSerializer

# pydantic compiles a schema on first use, which can outlast hypothesis's
# default deadline; example counts come from the loaded settings profile.
property_test = settings(deadline=None)

UTC_PLUS_2 = timezone(timedelta(hours=2))


class Step(pydantic.BaseModel):
    name: str
    seconds: float = 0.0


class Task(pydantic.BaseModel):
    name: str
    priority: int
    due: datetime
    tags: frozenset[str] = frozenset()
    numbers: frozenset[int] = frozenset()
    meta: dict[str, int] = {}
    steps: list[Step] = []
    parent: Step | None = None


@dataclasses.dataclass
class JobStep:
    name: str
    seconds: float = 0.0


@dataclasses.dataclass
class Job:
    name: str
    priority: int
    weights: dict[str, float]
    steps: list[JobStep]
    shape: tuple[int, int]
    parent: JobStep | None = None
    note: str = ""


class Point(TypedDict):
    x: int
    y: int
    label: str


Pair = namedtuple("Pair", ["left", "right"])


# -- strategies -----------------------------------------------------------------

finite_floats = st.floats(allow_nan=False, allow_infinity=False)
msgpack_ints = st.integers(min_value=-(2**63), max_value=2**64 - 1)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | finite_floats | st.text(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)

msgpack_values = st.recursive(
    st.none()
    | st.booleans()
    | msgpack_ints
    | st.floats(allow_nan=False)
    | st.text()
    | st.binary(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(max_size=8) | st.binary(max_size=8) | msgpack_ints,
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)

fixed_offsets = st.builds(
    timezone,
    st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23)),
)
aware_datetimes = st.datetimes(
    min_value=datetime(1900, 1, 1),
    max_value=datetime(2200, 1, 1),
    timezones=fixed_offsets,
)

steps = st.builds(Step, name=st.text(max_size=8), seconds=finite_floats)


def task_strategy(ints: st.SearchStrategy[int]) -> st.SearchStrategy[Task]:
    return st.builds(
        Task,
        name=st.text(max_size=8),
        priority=ints,
        due=aware_datetimes,
        tags=st.frozensets(st.text(max_size=4), max_size=5),
        numbers=st.frozensets(st.integers(min_value=0, max_value=64), max_size=8),
        meta=st.dictionaries(st.text(max_size=4), ints, max_size=4),
        steps=st.lists(steps, max_size=3),
        parent=st.none() | steps,
    )


job_steps = st.builds(JobStep, name=st.text(max_size=8), seconds=finite_floats)
jobs = st.builds(
    Job,
    name=st.text(max_size=8),
    priority=st.integers(),
    weights=st.dictionaries(st.text(max_size=4), finite_floats, max_size=4),
    steps=st.lists(job_steps, max_size=3),
    shape=st.tuples(st.integers(), st.integers()),
    parent=st.none() | job_steps,
    note=st.text(max_size=8),
)

points = st.fixed_dictionaries(
    {"x": st.integers(), "y": st.integers(), "label": st.text(max_size=8)}
)


def rebuilt(value: Any, rng: random.Random) -> Any:
    """Return an equal value whose dicts, sets and fields were built in another order.

    Aware datetimes move to another time zone, which keeps them equal.
    """
    if isinstance(value, dict):
        items = [(k, rebuilt(v, rng)) for k, v in value.items()]
        rng.shuffle(items)
        return dict(items)
    if isinstance(value, list):
        return [rebuilt(item, rng) for item in value]
    if isinstance(value, tuple):
        items = [rebuilt(item, rng) for item in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    if isinstance(value, frozenset):
        members = list(value)
        rng.shuffle(members)
        return frozenset(members)
    if isinstance(value, datetime) and value.tzinfo is not None:
        offset = timedelta(minutes=rng.randint(-23 * 60, 23 * 60))
        return value.astimezone(timezone(offset))
    if isinstance(value, pydantic.BaseModel):
        fields = [
            (k, rebuilt(getattr(value, k), rng)) for k in type(value).model_fields
        ]
        rng.shuffle(fields)
        return type(value)(**dict(fields))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = [
            (f.name, rebuilt(getattr(value, f.name), rng))
            for f in dataclasses.fields(value)
        ]
        rng.shuffle(fields)
        return type(value)(**dict(fields))
    return value


# Each codec with a strategy of values it must store canonically.
CASES: list[tuple[str, Callable[[], Codec[Any]], st.SearchStrategy[Any]]] = [
    ("text", TextCodec, st.text()),
    ("bytes", BytesCodec, st.binary()),
    ("json", JsonCodec, json_values),
    (
        "json-typed-tuple",
        lambda: JsonCodec(tuple[int, str]),
        st.tuples(st.integers(), st.text()),
    ),
    ("json-typeddict", lambda: JsonCodec(Point), points),
    (
        "json-int-keys",
        lambda: JsonCodec(dict[int, str]),
        st.dictionaries(st.integers(), st.text(max_size=4), max_size=5),
    ),
    ("msgpack", MsgpackCodec, msgpack_values),
    (
        "msgpack-typed-tuple",
        lambda: MsgpackCodec(tuple[int, bytes]),
        st.tuples(msgpack_ints, st.binary()),
    ),
    ("msgpack-model", lambda: MsgpackCodec(Task), task_strategy(msgpack_ints)),
    ("pydantic", lambda: PydanticCodec(Task), task_strategy(st.integers())),
    ("dataclass", lambda: DataclassCodec(Job), jobs),
    (
        "namedtuple-serializer",
        lambda: SerializerCodec(NamedtupleSerializer(Pair)),
        st.builds(Pair, json_values, json_values),
    ),
]
CASE_IDS = [name for name, _, _ in CASES]


# -- round trips and canonical bytes ------------------------------------------


@pytest.mark.parametrize(("name", "make_codec", "values"), CASES, ids=CASE_IDS)
def test_round_trip_and_canonical(
    name: str, make_codec: Callable[[], Codec[Any]], values: st.SearchStrategy[Any]
) -> None:
    codec = make_codec()

    @property_test
    @given(value=values, rng=st.randoms(use_true_random=False))
    def check(value: Any, rng: random.Random) -> None:
        data = codec.encode(value)
        assert codec.decode(data) == value
        assert codec.encode(rebuilt(value, rng)) == data

    check()


def test_negative_zero_encodes_as_zero() -> None:
    assert JsonCodec().encode(-0.0) == JsonCodec().encode(0.0) == b"0.0"
    assert MsgpackCodec().encode([-0.0]) == MsgpackCodec().encode([0.0])
    assert DataclassCodec(JobStep).encode(JobStep("a", -0.0)) == (
        DataclassCodec(JobStep).encode(JobStep("a", 0.0))
    )


def test_sets_encode_in_sorted_order() -> None:
    # 0 and 8 share a slot in a small set's hash table, so these two equal
    # sets iterate in insertion order.
    first, second = frozenset([0, 8]), frozenset([8, 0])
    assert list(first) != list(second)
    codec = JsonCodec(frozenset[int])
    assert codec.encode(first) == codec.encode(second) == b"[0,8]"
    assert codec.decode(b"[0,8]") == first


def test_one_instant_in_two_zones_is_one_encoding() -> None:
    codec = PydanticCodec(Task)
    in_utc = Task(
        name="a", priority=1, due=datetime(2024, 5, 1, 10, tzinfo=timezone.utc)
    )
    in_cest = Task(
        name="a", priority=1, due=datetime(2024, 5, 1, 12, tzinfo=UTC_PLUS_2)
    )
    assert codec.encode(in_utc) == codec.encode(in_cest)
    assert b'"due":"2024-05-01T10:00:00Z"' in codec.encode(in_cest)


def test_float_field_given_int_is_one_member() -> None:
    codec = DataclassCodec(JobStep)
    assert codec.encode(JobStep("a", 1)) == codec.encode(JobStep("a", 1.0))
    assert JsonCodec(float).encode(1) == JsonCodec(float).encode(1.0) == b"1.0"


@property_test
@given(value=json_values)
def test_json_serializer_round_trips(value: Any) -> None:
    # The json module keeps dict keys in insertion order, so only the
    # round trip holds, not canonical bytes.
    codec = SerializerCodec(json)
    assert codec.decode(codec.encode(value)) == value


def test_serializer_round_trips() -> None:
    json_codec = SerializerCodec(json)
    value = {"b": [1, 2], "a": "x"}
    assert json_codec.decode(json_codec.encode(value)) == value
    pair_codec = SerializerCodec(NamedtupleSerializer(Pair))
    assert pair_codec.encode(Pair(right=2, left=1)) == b'{"left":1,"right":2}'
    assert pair_codec.decode(b'{"right":2,"left":1}') == Pair(1, 2)


def test_serializer_objects_become_codecs() -> None:
    assert isinstance(resolve_codec(None, json), SerializerCodec)
    assert isinstance(resolve_codec(json, None), SerializerCodec)
    named = NamedtupleSerializer(Pair)
    assert isinstance(resolve_codec(None, named), SerializerCodec)


# -- golden bytes -------------------------------------------------------------
# A dependency upgrade that changes any of these encodings changes which
# bytes are one member, so items already in Redis would no longer match.

GOLDEN_TASK = Task(
    name="café",
    priority=2,
    due=datetime(2024, 5, 1, 12, 30, tzinfo=UTC_PLUS_2),
    tags=frozenset(["urgent", "db"]),
    numbers=frozenset([8, 0]),
    meta={"retries": 3, "attempt": 1},
    steps=[Step(name="copy", seconds=1.5)],
)
GOLDEN_JOB = Job(
    name="café",
    priority=2,
    weights={"b": 0.5, "a": 2.0},
    steps=[JobStep("copy", 1.5)],
    shape=(3, 4),
)
GOLDEN_PLAIN = {"name": "café", "n": [1, 2.5, None, True], "a": {"z": -0.0, "b": "x"}}

GOLDEN: list[tuple[str, Codec[Any], Any, bytes]] = [
    (
        "json",
        JsonCodec(),
        GOLDEN_PLAIN,
        b'{"a":{"b":"x","z":0.0},"n":[1,2.5,null,true],"name":"caf\xc3\xa9"}',
    ),
    (
        "msgpack",
        MsgpackCodec(),
        {**GOLDEN_PLAIN, "raw": b"\x00\xff", 7: 1},
        b"\x85\xa1a\x82\xa1b\xa1x\xa1z\xcb\x00\x00\x00\x00\x00\x00\x00\x00"
        b"\xa1n\x94\x01\xcb@\x04\x00\x00\x00\x00\x00\x00\xc0\xc3"
        b"\xa4name\xa5caf\xc3\xa9\xa3raw\xc4\x02\x00\xff\x07\x01",
    ),
    ("json-typed-tuple", JsonCodec(tuple[int, str]), (1, "a"), b'[1,"a"]'),
    (
        "pydantic",
        PydanticCodec(Task),
        GOLDEN_TASK,
        b'{"due":"2024-05-01T10:30:00Z","meta":{"attempt":1,"retries":3},'
        b'"name":"caf\xc3\xa9","numbers":[0,8],"parent":null,"priority":2,'
        b'"steps":[{"name":"copy","seconds":1.5}],"tags":["db","urgent"]}',
    ),
    (
        "msgpack-model",
        MsgpackCodec(Task),
        GOLDEN_TASK,
        b"\x88\xa3due\xb42024-05-01T10:30:00Z\xa4meta\x82\xa7attempt\x01"
        b"\xa7retries\x03\xa4name\xa5caf\xc3\xa9\xa7numbers\x92\x00\x08"
        b"\xa6parent\xc0\xa8priority\x02\xa5steps\x91\x82\xa4name\xa4copy"
        b"\xa7seconds\xcb?\xf8\x00\x00\x00\x00\x00\x00\xa4tags\x92\xa2db"
        b"\xa6urgent",
    ),
    (
        "dataclass",
        DataclassCodec(Job),
        GOLDEN_JOB,
        b'{"name":"caf\xc3\xa9","note":"","parent":null,"priority":2,'
        b'"shape":[3,4],"steps":[{"name":"copy","seconds":1.5}],'
        b'"weights":{"a":2.0,"b":0.5}}',
    ),
    (
        "namedtuple-serializer",
        SerializerCodec(NamedtupleSerializer(Pair)),
        Pair("x", 1),
        b'{"left":"x","right":1}',
    ),
]


@pytest.mark.parametrize(
    ("name", "codec", "value", "expected"), GOLDEN, ids=[g[0] for g in GOLDEN]
)
def test_golden_bytes(
    name: str, codec: Codec[Any], value: Any, expected: bytes
) -> None:
    assert codec.encode(value) == expected
    assert codec.decode(expected) == value


# -- values that cannot be stored faithfully ---------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ((1, 2), "tuple would come back as a list"),
        ({1, 2}, "set would come back as a list"),
        (frozenset(), "frozenset would come back as a list"),
        (b"x", "bytes b'x' is not a JSON type"),
        ({1: "a"}, "map key 1 has type int"),
        ({"a": [{"b": (1,)}]}, r"value\['a'\]\[0\]\['b'\]"),
        (float("nan"), "NaN"),
        (float("inf"), "JSON has no inf"),
        ({"a": -float("inf")}, "JSON has no -inf"),
        (datetime(2024, 1, 1, tzinfo=timezone.utc), "datetime"),
        ("\ud800", "lone surrogate"),
    ],
)
def test_json_rejects_unfaithful_values(value: Any, message: str) -> None:
    with pytest.raises(EncodeError, match=message) as caught:
        JsonCodec().encode(value)
    assert caught.value.value is value or message == "lone surrogate"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (2**64, "outside msgpack's integer range"),
        (-(2**63) - 1, "outside msgpack's integer range"),
        ({"a": [2**70]}, r"value\['a'\]\[0\]"),
        ((1,), "tuple would come back as a list"),
        ({None: 1}, "map key None has type NoneType"),
        (float("nan"), "NaN"),
        ("\udfff", "lone surrogate"),
        (object(), "is not a msgpack type"),
    ],
)
def test_msgpack_rejects_unfaithful_values(value: Any, message: str) -> None:
    with pytest.raises(EncodeError, match=message):
        MsgpackCodec().encode(value)


def test_msgpack_keeps_str_and_bytes_apart() -> None:
    codec = MsgpackCodec()
    assert codec.encode("a") != codec.encode(b"a")
    assert codec.decode(codec.encode(["a", b"a"])) == ["a", b"a"]
    assert codec.encode(float("inf")) == b"\xcb\x7f\xf0\x00\x00\x00\x00\x00\x00"


def test_typed_map_keys_round_trip() -> None:
    floats = MsgpackCodec(dict[float, int])
    assert floats.decode(floats.encode({1.5: 1, -2.0: 2})) == {1.5: 1, -2.0: 2}
    flags = JsonCodec(dict[bool, int])
    assert flags.encode({True: 1, False: 0}) == b'{"false":0,"true":1}'
    assert flags.decode(b'{"false":0,"true":1}') == {True: 1, False: 0}
    mixed = MsgpackCodec()
    assert mixed.encode({2: "b", "z": 1, b"a": 0, "a": 2}) == mixed.encode(
        {"a": 2, b"a": 0, 2: "b", "z": 1}
    )
    with pytest.raises(EncodeError, match="would become a list"):
        JsonCodec(dict[tuple[int, int], int]).encode({(1, 2): 3})


def test_typed_codecs_check_the_value_type() -> None:
    with pytest.raises(EncodeError, match="not a valid int"):
        JsonCodec(int).encode("1")  # type: ignore[arg-type]  # a str is not an int
    with pytest.raises(EncodeError, match="not a valid"):
        JsonCodec(tuple[int, int]).encode([1, 2])  # type: ignore[arg-type]  # a list is not a tuple
    with pytest.raises(EncodeError, match="not a valid Task"):
        PydanticCodec(Task).encode({"name": "a", "priority": 1})  # type: ignore[arg-type]  # a dict is not a Task
    with pytest.raises(EncodeError, match=r"value\.name: expected str, got int 1"):
        DataclassCodec(JobStep).encode(JobStep(name=1, seconds=0))  # type: ignore[arg-type]  # wrong field type on purpose


def test_naive_datetime_is_rejected() -> None:
    naive = Task(name="a", priority=1, due=datetime(2024, 5, 1, 10))
    with pytest.raises(EncodeError, match="naive datetime"):
        PydanticCodec(Task).encode(naive)
    with pytest.raises(EncodeError, match="naive datetime"):
        MsgpackCodec(datetime).encode(datetime(2024, 5, 1))


def test_value_that_would_change_is_rejected() -> None:
    class Loose(pydantic.BaseModel):
        payload: Any

    with pytest.raises(EncodeError, match="which decodes to"):
        PydanticCodec(Loose).encode(Loose(payload=(1, 2)))
    assert PydanticCodec(Loose).encode(Loose(payload=[1, 2])) == b'{"payload":[1,2]}'


def test_value_that_would_not_decode_is_rejected() -> None:
    class Strict(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(extra="forbid")
        name: str

        @pydantic.computed_field  # type: ignore[prop-decorator]  # pydantic's documented form
        @property
        def size(self) -> int:
            return len(self.name)

    with pytest.raises(EncodeError, match="which does not decode"):
        PydanticCodec(Strict).encode(Strict(name="abc"))


def test_dataclass_rejects_subclass_instances() -> None:
    @dataclasses.dataclass
    class TimedStep(JobStep):
        started: float = 0.0

    with pytest.raises(EncodeError, match="expected JobStep, got TimedStep"):
        DataclassCodec(JobStep).encode(TimedStep("a"))


def test_decode_rejects_nan_constants() -> None:
    with pytest.raises(ValueError, match="NaN"):
        JsonCodec().decode(b"[NaN]")
    with pytest.raises(ValueError, match="Infinity"):
        DataclassCodec(JobStep).decode(b'{"name":"a","seconds":Infinity}')


# -- models that change between deploys --------------------------------------


def test_pydantic_old_payload_takes_new_defaults() -> None:
    codec = PydanticCodec(Step)
    assert codec.decode(b'{"name":"a"}') == Step(name="a", seconds=0.0)


def test_pydantic_extra_fields_follow_model_config() -> None:
    class Ignoring(pydantic.BaseModel):
        name: str

    class Forbidding(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(extra="forbid")
        name: str

    old_payload = b'{"name":"a","removed":1}'
    assert PydanticCodec(Ignoring).decode(old_payload) == Ignoring(name="a")
    with pytest.raises(pydantic.ValidationError):
        PydanticCodec(Forbidding).decode(old_payload)


def test_pydantic_writes_aliases() -> None:
    class Aliased(pydantic.BaseModel):
        task_name: str = pydantic.Field(alias="taskName")

    codec = PydanticCodec(Aliased)
    data = codec.encode(Aliased(taskName="a"))
    assert data == b'{"taskName":"a"}'
    assert codec.decode(data) == Aliased(taskName="a")


def test_dataclass_missing_and_unknown_fields() -> None:
    codec = DataclassCodec(JobStep)
    assert codec.decode(b'{"name":"a"}') == JobStep("a", 0.0)
    assert codec.decode(b'{"name":"a","added_later":[1]}') == JobStep("a", 0.0)
    with pytest.raises(ValueError, match=r"field\(s\) name missing"):
        codec.decode(b'{"seconds":1.0}')
    with pytest.raises(ValueError, match=r"value\.steps\[0\]\.seconds: expected float"):
        DataclassCodec(Job).decode(
            b'{"name":"a","priority":1,"weights":{},"shape":[1,2],'
            b'"steps":[{"name":"s","seconds":"slow"}]}'
        )


def test_dataclass_skips_init_false_fields() -> None:
    @dataclasses.dataclass
    class Counted:
        name: str
        length: int = dataclasses.field(init=False)

        def __post_init__(self) -> None:
            self.length = len(self.name)

    codec = DataclassCodec(Counted)
    assert codec.encode(Counted("abc")) == b'{"name":"abc"}'
    assert codec.decode(b'{"name":"abc"}').length == 3


@dataclasses.dataclass
class Node:
    value: int
    children: list[Node] = dataclasses.field(default_factory=list)


def test_dataclass_refers_to_itself() -> None:
    codec = DataclassCodec(Node)
    tree = Node(1, [Node(2), Node(3, [Node(4)])])
    assert codec.decode(codec.encode(tree)) == tree


# -- construction -------------------------------------------------------------


@dataclasses.dataclass
class WithSet:
    members: set[str]


@dataclasses.dataclass
class WithInitVar:
    name: str
    scale: dataclasses.InitVar[int]


@pytest.mark.parametrize(
    ("make_codec", "message"),
    [
        # Each call breaks the declared argument type on purpose.
        (lambda: PydanticCodec(int), "needs a pydantic model class"),  # type: ignore[type-var]
        (lambda: PydanticCodec(Step(name="a")), "needs a pydantic model class"),  # type: ignore[arg-type]
        (lambda: DataclassCodec(int), "needs a dataclass"),  # type: ignore[type-var]
        (lambda: DataclassCodec(JobStep("a")), "needs a dataclass"),  # type: ignore[arg-type]
        (lambda: DataclassCodec(WithSet), r"field WithSet.members of type set\[str\]"),
        (lambda: DataclassCodec(WithInitVar), "scale"),
        (lambda: JsonCodec(object()), "cannot use the type"),
        (lambda: MsgpackCodec(object()), "cannot use the type"),
    ],
)
def test_bad_construction_raises(
    make_codec: Callable[[], object], message: str
) -> None:
    with pytest.raises(InvalidTypeError, match=message):
        make_codec()


@pytest.mark.parametrize(
    ("module", "make_codec", "extra"),
    [
        ("msgpack", MsgpackCodec, "redset[msgpack]"),
        ("pydantic", lambda: PydanticCodec(Step), "redset[pydantic]"),
        ("pydantic", lambda: JsonCodec(int), "redset[pydantic]"),
    ],
)
def test_missing_extra_names_it(
    monkeypatch: pytest.MonkeyPatch,
    module: str,
    make_codec: Callable[[], object],
    extra: str,
) -> None:
    # A None entry in sys.modules makes the import raise ImportError.
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ImportError, match=re.escape(f"pip install '{extra}'")):
        make_codec()


def test_extras_are_imported_only_when_used() -> None:
    script = (
        "import dataclasses, sys, redset\n"
        "@dataclasses.dataclass\n"
        "class Job:\n"
        "    name: str\n"
        "redset.JsonCodec().encode({'a': 1})\n"
        "redset.DataclassCodec(Job).encode(Job('a'))\n"
        "print('pydantic' in sys.modules, 'msgpack' in sys.modules)\n"
        "redset.MsgpackCodec().encode(1)\n"
        "print('pydantic' in sys.modules, 'msgpack' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False", "False", "True"]


# -- in a set on a real server -------------------------------------------------


@dataclasses.dataclass
class ServerCase:
    name: str
    make_codec: Callable[[], Codec[Any]]
    value: Any
    # Equal to value, but built differently.
    equal: Any
    # A member that the codec cannot decode.
    bad: bytes


SERVER_CASES = [
    ServerCase(
        "json", JsonCodec, {"b": 1, "a": [1, 2]}, {"a": [1, 2], "b": 1}, b'{"a":'
    ),
    ServerCase(
        "msgpack", MsgpackCodec, {"b": b"\x00", "a": 1}, {"a": 1, "b": b"\x00"}, b"\xc1"
    ),
    ServerCase(
        "pydantic",
        lambda: PydanticCodec(Task),
        GOLDEN_TASK,
        GOLDEN_TASK.model_copy(
            update={"due": GOLDEN_TASK.due.astimezone(timezone.utc)}
        ),
        b'{"name":5,"priority":"high"}',
    ),
    ServerCase(
        "dataclass",
        lambda: DataclassCodec(Job),
        GOLDEN_JOB,
        dataclasses.replace(GOLDEN_JOB, weights={"a": 2, "b": 0.5}),
        b'{"name":"a"}',
    ),
    ServerCase(
        "json-serializer", lambda: SerializerCodec(json), {"a": 1}, {"a": 1}, b"x"
    ),
]
each_server_case = pytest.mark.parametrize(
    "case", SERVER_CASES, ids=[case.name for case in SERVER_CASES]
)


@each_server_case
def test_equal_values_are_one_member(
    r: redis.Redis, key: str, case: ServerCase
) -> None:
    s = SortedSet(r, key, codec=case.make_codec())
    assert s.add(case.value, score=1) is True
    assert s.add(case.equal, score=2) is False
    assert len(s) == 1
    assert case.equal in s
    assert s.pop() == case.value


@each_server_case
def test_bad_member_is_kept_in_dead_letters(
    r: redis.Redis, key: str, caplog: pytest.LogCaptureFixture, case: ServerCase
) -> None:
    s = SortedSet(r, key, codec=case.make_codec())
    r.zadd(key, {case.bad: 1})
    s.add(case.value, score=2)

    with pytest.raises(DecodeError) as caught:
        s.peek()
    assert caught.value.raw == case.bad
    assert caught.value.key == key
    assert len(s) == 2

    with caplog.at_level(logging.WARNING, logger="redset"):
        assert s.pop() == case.value
    assert r.zrange(s.dead_letter_key, 0, -1, withscores=True) == [(case.bad, 1.0)]
    assert "dead letters" in caplog.text
    assert len(s) == 0


def test_unencodable_value_writes_nothing(r: redis.Redis, key: str) -> None:
    s = SortedSet(r, key, codec=JsonCodec())
    with pytest.raises(EncodeError, match="tuple"):
        s.add((1, 2))
    with pytest.raises(EncodeError, match="tuple"):
        s.update([[1], (2,)])
    assert r.exists(key) == 0


def test_serializer_keyword_still_works(
    r: redis.Redis, key: str, caplog: pytest.LogCaptureFixture
) -> None:
    pairs = SortedSet(r, key, serializer=NamedtupleSerializer(Pair))
    assert pairs.add(Pair(1, "a"), score=2) is True
    assert pairs.add(Pair(right="a", left=1), score=3) is False
    r.zadd(key, {b"{broken": 1})

    with pytest.raises(DecodeError) as caught:
        pairs.peek()
    assert caught.value.raw == b"{broken"

    with caplog.at_level(logging.WARNING, logger="redset"):
        assert pairs.pop() == Pair(1, "a")
    assert r.zrange(pairs.dead_letter_key, 0, -1) == [b"{broken"]

    plain = SortedSet(r, key + ":json", serializer=json)
    plain.add({"a": [1, 2]})
    assert r.zrange(key + ":json", 0, -1) == [b'{"a": [1, 2]}']
    assert plain.pop() == {"a": [1, 2]}


async def test_async_set_dead_letters_invalid_model(
    ar: redis.asyncio.Redis, key: str
) -> None:
    s = redset.asyncio.SortedSet(ar, key, codec=PydanticCodec(Step))
    await ar.zadd(key, {b'{"name":1}': 1})
    await s.add(Step(name="a"), score=2)
    with pytest.raises(DecodeError):
        await s.peek()
    assert await s.pop() == Step(name="a")
    assert await ar.zrange(s.dead_letter_key, 0, -1) == [b'{"name":1}']


ALL_CODECS: list[Callable[[], Codec[Any]]] = [
    TextCodec,
    BytesCodec,
    JsonCodec,
    MsgpackCodec,
    lambda: PydanticCodec(Task),
    lambda: DataclassCodec(Job),
]


@pytest.mark.parametrize(
    "make_codec",
    ALL_CODECS,
    ids=["text", "bytes", "json", "msgpack", "pydantic", "dataclass"],
)
def test_decoding_client_is_rejected(
    redis_url: str, key: str, make_codec: Callable[[], Codec[Any]]
) -> None:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        with pytest.raises(InvalidValueError, match="decode_responses"):
            SortedSet(client, key, codec=make_codec())
    finally:
        client.close()
