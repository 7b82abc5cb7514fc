"""Reply shapes that redset's parsers accept from redis-py, valkey and fakeredis."""

from __future__ import annotations

import math

import pytest

from redset._replies import as_float, as_pairs


def test_as_pairs_reads_flat_replies() -> None:
    assert as_pairs([b"a", b"1", b"b", b"-inf"]) == [(b"a", 1.0), (b"b", -math.inf)]


def test_as_pairs_reads_nested_pairs() -> None:
    assert as_pairs([[b"a", 1.5], (b"b", b"2")]) == [(b"a", 1.5), (b"b", 2.0)]


def test_as_pairs_encodes_text_members() -> None:
    assert as_pairs(["é", "3"]) == [("é".encode(), 3.0)]


def test_as_pairs_reads_empty_replies() -> None:
    assert as_pairs([]) == []
    assert as_pairs(None) == []


def test_as_pairs_rejects_odd_length() -> None:
    with pytest.raises(ValueError, match="3 items"):
        as_pairs([b"a", b"1", b"b"])


def test_as_float_reads_bytes_and_text() -> None:
    assert as_float(b"1e+20") == 1e20
    assert as_float("0.5") == 0.5
    assert math.isinf(as_float(b"inf"))
