"""Normalize Redis replies across RESP2, RESP3 and client libraries.

redis-py reshapes some replies by command name, and the shape differs between
RESP2 and RESP3 (a flat ``[member, score, ...]`` list, a list of pairs, scores
as bytes or floats). These helpers accept every shape seen from redis-py,
valkey and fakeredis.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["as_bytes", "as_float", "as_pairs", "as_text", "server_version"]


def as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    return bytes(value)


def as_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def as_float(value: Any) -> float:
    # float() parses ASCII bytes, such as b"1.5" or b"-inf", as well as str.
    return float(value)


def as_pairs(reply: Any) -> list[tuple[bytes, float]]:
    """Turn a WITHSCORES-style reply into ``[(member, score), ...]``."""
    if not reply:
        return []
    if isinstance(reply[0], (list, tuple)):
        return [(as_bytes(member), float(score)) for member, score in reply]
    if len(reply) % 2:
        raise ValueError(f"expected member, score pairs, got {len(reply)} items")
    if len(reply) == 2:
        # One pair is the reply to every pop, and unpacking it here takes a
        # third of the time of the loop below.
        member = reply[0]
        if type(member) is not bytes:
            member = as_bytes(member)
        return [(member, float(reply[1]))]
    # zip() of one iterator with itself walks the flat list two at a time.
    # Members are bytes from every client but a decode_responses one, which
    # redset rejects, so as_bytes() runs only for the others.
    flat = iter(reply)
    return [
        (member if type(member) is bytes else as_bytes(member), float(score))
        for member, score in zip(flat, flat, strict=False)
    ]


def _parse_version(text: str) -> tuple[int, ...]:
    parts = []
    for part in text.split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def server_version(info: Any) -> tuple[str, tuple[int, ...]] | None:
    """Return the oldest ``redis_version`` in an INFO reply, or None if absent.

    redis-py 8.2's cluster client sends INFO to one default node, so its
    reply has one node's version. A reply with several sections, one per
    node, gives the oldest.
    """
    versions: list[str] = []

    def collect(section: Any) -> None:
        if isinstance(section, Mapping):
            for key, value in section.items():
                if as_text(key) == "redis_version":
                    versions.append(as_text(value))
                elif isinstance(value, Mapping):
                    collect(value)
        elif isinstance(section, (bytes, str)):
            for line in as_text(section).splitlines():
                if line.startswith("redis_version:"):
                    versions.append(line.split(":", 1)[1].strip())

    collect(info)
    if not versions:
        return None
    oldest = min(versions, key=_parse_version)
    return oldest, _parse_version(oldest)
