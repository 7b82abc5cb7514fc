"""The auxiliary keys of a set share its Redis Cluster slot (no server needed)."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from redis.crc import key_slot

from redset import InvalidValueError, SortedSet
from redset._keys import _tag_for_slot, auxiliary_key

# Names mix braces (tags, empty tags "{}", nested and unbalanced braces) with
# ASCII, non-ASCII and astral characters. Lone surrogates are left out
# because they are not valid Unicode text, so no client can send them.
_BRACE_HEAVY = st.sampled_from(["{", "}", "{}", "a", ":", "é", "Ω", "😀", " "])
_ANY_CHARACTER = st.characters(codec="utf-8")
NAMES = st.lists(_BRACE_HEAVY | _ANY_CHARACTER, min_size=1, max_size=16).map("".join)
SUFFIXES = st.sampled_from(["dead", "leases", "seen", "{x}", "a}b"])

RULE_SETTINGS = settings(max_examples=200)


def slot(name: str) -> int:
    return key_slot(name.encode("utf-8"))


@RULE_SETTINGS
@given(name=NAMES, suffix=SUFFIXES)
@example(name="{}", suffix="dead")
@example(name="{}a}", suffix="dead")
@example(name="{{a}}", suffix="dead")
@example(name="a}b{c}", suffix="dead")
@example(name="}{", suffix="dead")
@example(name="jobs{ü}", suffix="dead")
def test_auxiliary_key_shares_slot(name: str, suffix: str) -> None:
    assert slot(auxiliary_key(name, suffix)) == slot(name)


@RULE_SETTINGS
@given(first=NAMES, second=NAMES)
@example(first="a", second="{a}")
@example(first="{a}", second="{{a}}")
@example(first="{}", second="{}}")
@example(first="jobs", second="{jobs}:dead")
@example(first="a}", second="{a}}")
def test_distinct_names_distinct_keys(first: str, second: str) -> None:
    if first != second:
        assert auxiliary_key(first, "dead") != auxiliary_key(second, "dead")


@RULE_SETTINGS
@given(name=NAMES)
def test_main_key_is_plain_name(name: str) -> None:
    s = SortedSet(_NoServer(), name)
    assert s.name == name
    assert s.dead_letter_key == auxiliary_key(name, "dead")


def test_common_names_stay_readable() -> None:
    assert auxiliary_key("jobs", "dead") == "{jobs}:dead"
    assert auxiliary_key("jobs{a}", "dead") == "{a}jobs{a}:dead"
    assert auxiliary_key("a}b", "dead") == "{redset-slot-0111100001010110}a}b:dead"


def test_slot_tags_reach_every_slot() -> None:
    for slot_number in range(16384):
        tag = _tag_for_slot(slot_number)
        assert b"{" not in tag
        assert b"}" not in tag
        assert key_slot(tag) == slot_number


def test_empty_name_has_no_auxiliary_key() -> None:
    with pytest.raises(ValueError, match="empty"):
        auxiliary_key("", "dead")


def test_lone_surrogate_name_raises() -> None:
    with pytest.raises(InvalidValueError, match="cannot be encoded as UTF-8"):
        SortedSet(_NoServer(), "jobs\udc80")


class _NoServer:
    """A client that the constructor accepts; it fails if a command is sent."""

    def execute_command(self, *args: object) -> object:
        raise AssertionError(f"no command expected, got {args!r}")
