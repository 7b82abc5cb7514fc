"""A clock for tests to inject: it moves only when a test sets ``now``."""

from __future__ import annotations

__all__ = ["FakeClock"]


class FakeClock:
    """Returns ``now``, in Unix seconds, until a test assigns another value."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
