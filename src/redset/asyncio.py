"""Asyncio twins of the redset classes, over ``redis.asyncio`` clients.

Same names, arguments, defaults and errors as :mod:`redset`. Where the sync
class uses a dunder, the async class has a coroutine:

=====================  ==========================
sync                   async
=====================  ==========================
``len(s)``             ``await s.count()``
``x in s``             ``await s.contains(x)``
``for x in s``         ``async for x in s``
``for x, score in      ``async for x, score in
s.items()``            s.items()``
=====================  ==========================
"""

from ._async import ExpiringSet, ScheduledSet, SortedSet, TimeSortedSet

__all__ = ["ExpiringSet", "ScheduledSet", "SortedSet", "TimeSortedSet"]
