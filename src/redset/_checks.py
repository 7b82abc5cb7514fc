"""Checks of arguments, shared by every set class.

Each check raises an error from ``redset.errors`` before anything is sent,
and returns the value in the form the commands take.
"""

from __future__ import annotations

import math
import numbers
from datetime import datetime, timedelta

from .errors import InvalidScoreError, InvalidTypeError, InvalidValueError

__all__ = [
    "MAX_COUNT",
    "MAX_TIMEOUT",
    "check_clock_time",
    "check_count",
    "check_score",
    "check_timeout",
    "delay_seconds",
    "due_timestamp",
]


def check_score(score: object, what: str = "score") -> float:
    """Return ``score`` as a float, or raise if Redis cannot store it.

    ``what`` names the argument in the error message.
    """
    if isinstance(score, bool) or not isinstance(score, numbers.Real):
        raise InvalidTypeError(
            f"{what} must be a real number, got {type(score).__name__} {score!r}"
        )
    try:
        value = float(score)
    except OverflowError:
        raise InvalidScoreError(
            score, f"{what} {score!r} is too large for a double"
        ) from None
    if math.isnan(value):
        raise InvalidScoreError(score, f"{what} must not be NaN")
    # A finite long double such as 1e4000 converts to inf without an error.
    if math.isinf(value) and score != value:
        raise InvalidScoreError(score, f"{what} {score!r} is too large for a double")
    return value


def check_clock_time(now: object) -> float:
    """Return a clock's reading as finite Unix seconds, or raise."""
    value = check_score(now, "the clock's time")
    if math.isinf(value):
        raise InvalidValueError(f"the clock returned {now!r}; it must be finite")
    return value


# Largest count or position redset sends: Redis and Lua both read it exactly.
MAX_COUNT = 2**31 - 1


def check_count(count: object, what: str = "count") -> int:
    # int comes first in the tuple, so the common case never reaches the
    # slower ABC test, which stood out in profiles of pop and claim.
    if isinstance(count, bool) or not isinstance(count, (int, numbers.Integral)):
        raise InvalidTypeError(
            f"{what} must be an int, got {type(count).__name__} {count!r}"
        )
    value = int(count)
    if value < 0:
        raise InvalidValueError(f"{what} must not be negative, got {value}")
    if value > MAX_COUNT:
        raise InvalidValueError(f"{what} must be at most {MAX_COUNT}, got {value}")
    return value


# Maximum finite wait accepted, in seconds (about 115 days); math.inf means
# wait forever.
MAX_TIMEOUT = 1e7


def check_timeout(timeout: object) -> float | None:
    """Return the timeout in seconds, None for no wait, math.inf for forever."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real):
        raise InvalidTypeError(
            f"timeout must be a number of seconds or None, got {timeout!r}"
        )
    try:
        seconds = float(timeout)
    except OverflowError:
        seconds = math.nan
    if math.isnan(seconds) or seconds < 0:
        raise InvalidValueError(
            f"timeout must be a non-negative number of seconds, got {timeout!r}"
        )
    if MAX_TIMEOUT < seconds < math.inf:
        raise InvalidValueError(
            f"timeout must be at most {MAX_TIMEOUT:.0e} seconds, got {timeout!r}; "
            "pass math.inf to wait forever"
        )
    return seconds if seconds > 0 else None


def delay_seconds(delay: object) -> float:
    if isinstance(delay, timedelta):
        return delay.total_seconds()
    if isinstance(delay, bool) or not isinstance(delay, numbers.Real):
        raise InvalidTypeError(
            f"delay must be seconds or a timedelta, got {type(delay).__name__} "
            f"{delay!r}"
        )
    try:
        seconds = float(delay)
    except OverflowError:
        seconds = math.inf
    if not math.isfinite(seconds):
        raise InvalidValueError(f"delay must be a finite number, got {delay!r}")
    return seconds


def due_timestamp(at: datetime | float) -> float:
    if isinstance(at, datetime):
        if at.tzinfo is None or at.tzinfo.utcoffset(at) is None:
            raise InvalidValueError(
                f"at={at!r} is a naive datetime, which each machine reads in "
                "its own time zone; pass an aware datetime, for example "
                "datetime.now(timezone.utc)"
            )
        return at.timestamp()
    return check_score(at, "at")
