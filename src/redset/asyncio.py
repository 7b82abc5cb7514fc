"""Asyncio twins of the redset classes, over ``redis.asyncio`` clients.

Same names, arguments, defaults, errors and Redis commands as :mod:`redset`.
Every method of the sync class is a coroutine here, except where the sync
class uses a dunder, which cannot await:

==================================  ======================================
sync                                async
==================================  ======================================
``s.pop()``, ``s.add(x)``, ...      ``await s.pop()``, ``await s.add(x)``
``len(s)``                          ``await s.count()``
``x in s``                          ``await s.contains(x)``
``for x in s``                      ``async for x in s``
``for x, score in s.items()``       ``async for x, score in s.items()``
==================================  ======================================

A blocking ``pop`` or ``take`` waits with BZPOPMIN on one connection from
the client's pool. A ScheduledSet, a set with a lease in flight and a
blocking ``claim`` wait with ``asyncio.sleep`` between polls instead. Other
tasks keep running meanwhile. A client made with
``single_connection_client=True`` has one connection only, so its other
commands wait until the BZPOPMIN returns.

Cancelling a task during a pop (directly, or through ``asyncio.timeout``
or ``wait_for``) leaves the client usable: redis-py closes the connection
whose reply is pending, and Redis stops any BZPOPMIN wait on it. A pop
whose command reached Redis before that close may have removed its items
with the reply lost, so a cancelled pop delivers each item at most once.
That takes a cancellation during the round trip of a plain pop or of a
ScheduledSet poll, or an item that arrives at the moment a waiting
BZPOPMIN is cancelled.
Work that must not be lost should be claimed under a lease instead.
"""

from ._async import ExpiringSet, ScheduledSet, SortedSet, TimeSortedSet

__all__ = ["ExpiringSet", "ScheduledSet", "SortedSet", "TimeSortedSet"]
