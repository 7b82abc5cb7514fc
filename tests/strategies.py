"""Hypothesis strategies and settings shared by the property-based tests.

The default settings keep the stateful tests to a few seconds per server.
Run ``HYPOTHESIS_PROFILE=thorough pytest tests/test_model_stateful.py`` (or
pass ``--hypothesis-profile=thorough``) for a long search.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from typing import Any, Literal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from model import UpdatePolicy

__all__ = [
    "CLOCK_START",
    "ItemPool",
    "clock_steps",
    "delays",
    "due_times",
    "item_indexes",
    "item_pools",
    "scorer_choices",
    "scores",
    "stateful_settings",
    "update_policies",
]

settings.register_profile(
    "thorough",
    max_examples=200,
    stateful_step_count=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def stateful_settings() -> settings:
    """Return the settings of one state machine run under the chosen profile.

    The default is small because every machine runs once per class, per
    client kind and per Redis server version.
    """
    name = os.environ.get("HYPOTHESIS_PROFILE") or settings.get_current_profile_name()
    if name == "thorough":
        return settings.get_profile("thorough")
    return settings(
        max_examples=25,
        stateful_step_count=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


# -- members ----------------------------------------------------------------

# Members whose byte order is easy to get wrong: the empty member, NUL bytes,
# 0xff, and prefixes of one another.
TRICKY_BYTES = [
    b"",
    b"\x00",
    b"\x00\x00",
    b"\x00\xff",
    b"\x7f",
    b"\x80",
    b"\xff",
    b"\xff\xff",
    b"a",
    b"a\x00",
    b"ab",
    b"b",
]

# Text whose UTF-8 bytes have 1 to 4 bytes per character; U+FFFF sorts
# after U+00FF by bytes, and U+1F600 after both.
TRICKY_TEXT = ["", "\x00", "a", "a\x00", "ab", "é", "ÿ", "Ā", "€", "\uffff", "😀", "z"]

MAX_POOL = 6

Codec = Literal["text", "bytes"]


@dataclass(frozen=True)
class ItemPool:
    """The few distinct items one state machine run adds, reads and removes.

    Drawing from a small pool makes re-adds, ties and removals of present
    items common.
    """

    codec: Codec
    items: tuple[Any, ...]

    def item(self, index: int) -> Any:
        return self.items[index % len(self.items)]

    def encode(self, item: Any) -> bytes:
        if self.codec == "text":
            encoded: bytes = item.encode("utf-8")
            return encoded
        return bytes(item)

    def decode(self, member: bytes) -> Any:
        return member.decode("utf-8") if self.codec == "text" else member

    def decodes(self, member: bytes) -> bool:
        """Tell whether the codec can decode ``member``."""
        if self.codec == "bytes":
            return True
        try:
            member.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True


def _text() -> st.SearchStrategy[str]:
    # Lone surrogates have no UTF-8 encoding, so TextCodec rejects them.
    characters = st.characters(codec="utf-8")
    return st.one_of(st.sampled_from(TRICKY_TEXT), st.text(characters, max_size=4))


def _binary() -> st.SearchStrategy[bytes]:
    return st.one_of(st.sampled_from(TRICKY_BYTES), st.binary(max_size=4))


def item_pools() -> st.SearchStrategy[ItemPool]:
    """Pools of distinct text items or of distinct bytes items."""
    text = st.lists(_text(), min_size=1, max_size=MAX_POOL, unique=True)
    binary = st.lists(_binary(), min_size=1, max_size=MAX_POOL, unique=True)
    return st.one_of(
        text.map(lambda items: ItemPool("text", tuple(items))),
        binary.map(lambda items: ItemPool("bytes", tuple(items))),
    )


def item_indexes() -> st.SearchStrategy[int]:
    return st.integers(0, MAX_POOL - 1)


# -- scores -----------------------------------------------------------------

# Scores that tie often, and the extremes of a double: ±inf, -0.0, the
# smallest subnormal, the largest finite value, and integers past 2**53
# that a float cannot hold exactly.
SPECIAL_SCORES: list[float] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    math.inf,
    -math.inf,
    5e-324,
    -5e-324,
    sys.float_info.min,
    sys.float_info.max,
    -sys.float_info.max,
    2.0**53,
    1e16,
]


def scores() -> st.SearchStrategy[float | Fraction]:
    """Valid scores of every real type: floats, ints and fractions.

    Most are drawn from a few special values, so that ties are common.
    """
    return st.one_of(
        st.sampled_from(SPECIAL_SCORES),
        st.floats(allow_nan=False),
        st.integers(-(2**70), 2**70),
        st.fractions(max_denominator=1000),
    )


def update_policies() -> st.SearchStrategy[UpdatePolicy | None]:
    return st.one_of(st.none(), st.sampled_from(["replace", "keep", "greater", "less"]))


# -- time -------------------------------------------------------------------

# The manual clock starts here (14 November 2023), so Unix-time due dates
# drawn near it are sometimes due and sometimes not.
CLOCK_START = 1_700_000_000.0


def clock_steps() -> st.SearchStrategy[float]:
    """Seconds to move a manual clock; zero often, so the clock repeats."""
    return st.one_of(
        st.sampled_from([0.0, 0.0, 1e-6, 1.0, 60.0, -1.0]),
        st.floats(-100.0, 1000.0),
    )


def due_times() -> st.SearchStrategy[datetime | float]:
    """Values for ScheduledSet.add(at=...): Unix times and aware datetimes."""
    start = datetime.fromtimestamp(CLOCK_START, timezone.utc).replace(tzinfo=None)
    zones = st.sampled_from([timezone.utc, timezone(timedelta(hours=5, minutes=30))])
    aware = st.datetimes(
        min_value=start - timedelta(hours=1),
        max_value=start + timedelta(hours=2),
        timezones=zones,
    )
    near = st.floats(-100.0, 3000.0).map(lambda offset: CLOCK_START + offset)
    return st.one_of(near, aware, st.sampled_from([CLOCK_START, math.inf, -math.inf]))


def delays() -> st.SearchStrategy[timedelta | float]:
    """Values for ScheduledSet.add(delay=...): seconds or a timedelta."""
    seconds = st.floats(-100.0, 3000.0)
    return st.one_of(
        st.sampled_from([0.0, -0.0, 1.0]),
        seconds,
        seconds.map(lambda value: timedelta(seconds=value)),
    )


def scorer_choices() -> st.SearchStrategy[Callable[[bytes], float] | None]:
    """No scorer, or one that gives members of equal length equal scores."""
    return st.sampled_from([None, _length_score])


def _length_score(member: bytes) -> float:
    return float(len(member) % 3)
