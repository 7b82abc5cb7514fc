"""The job both work queues run in the benchmark: it does nothing.

RQ imports a job's function by its dotted name, so it lives in a module of
its own that worker processes can import.
"""

from __future__ import annotations


def do_nothing(item: str) -> None:
    """Stand in for the work an item requests, so only queueing is measured."""
