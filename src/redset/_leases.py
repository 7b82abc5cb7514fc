"""At-least-once hand-out of items under leases, and the dead letters.

``claim`` moves items from a set into its in-flight record with a deadline.
The consumer then acks each item (done), releases it (put it back) or extends
its lease. A lease whose deadline passes returns its item to the set the next
time a claim, pop, peek, count or discard runs: those scripts first move
expired leases back (see ``reclaim`` in ``scripts/lease_prelude.lua``), so no
background process is needed.

An add is a plain ZADD. An item added while it is in flight is therefore a
member of the set at once, but the scripts that hand out members pass over
it until its lease ends.

Each lease carries a fencing token, unique per claim. Ack, release and extend
check the token and the deadline inside the script, so a consumer whose lease
expired cannot touch the claim another consumer has made since.

The state lives in auxiliary keys that share the main key's cluster slot::

    {name}:leases          zset  in-flight member -> lease deadline
    {name}:lease-info      hash  in-flight member -> "token deadline
                                 score": the fencing token, the deadline as
                                 in {name}:leases, and the score when claimed
    {name}:attempts        hash  member -> deliveries since its last ack
    {name}:dead            zset  dead letter -> score
    {name}:dead-info       hash  dead letter -> "attempts reason"
"""

from __future__ import annotations

import hashlib
import math
import numbers
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic

from . import _keys
from ._checks import check_count, check_timeout, delay_seconds
from ._lua import used_definitions
from ._protocol import (
    Operation,
    Script,
    Sleep,
    eval_script,
    load_script,
    logger,
)
from ._replies import as_bytes, as_float, as_text
from ._typing import T
from .errors import DecodeError, EmptyError, InvalidTypeError, InvalidValueError

__all__ = [
    "KEY_TYPES",
    "TYPE_NAMES",
    "DeadLetter",
    "Lease",
    "LeaseMixin",
    "lease_keys",
    "load_lease_script",
    "load_script_with_preludes",
    "parse_dead_info",
    "record_full_pop",
    "skips_short_pop",
    "wait_until_hint",
]

# Maximum pause, in seconds, between two polls of a blocking claim or of a
# ScheduledSet pop, so an item that another process adds or releases is
# handed out within this time.
POLL_INTERVAL = 0.05

# Seconds during which pop and take of a set go straight to the full lease
# script after the short one found a lease or a delivery count. A set in use
# with leases then pays the short script's extra round trip about once in
# this time.
FULL_POP_SECONDS = 1.0

# Set keys whose pops skip the short script, each with the time.monotonic()
# value until which they do. The record is shared by every set object in
# the process, because code may make a new set object for each call. Sets
# of one name on two servers share an entry, so one of them can run the full
# script, still one round trip, where the short one would do.
_full_pop_until: dict[bytes, float] = {}

# Size of that record above which expired entries are dropped.
_FULL_POP_ENTRIES = 1024


def skips_short_pop(key: bytes) -> bool:
    """Tell whether pops of the set stored at ``key`` skip the short script."""
    return _full_pop_until.get(key, -math.inf) > time.monotonic()


def record_full_pop(key: bytes) -> None:
    """Send the pops of the set at ``key`` to the full script for FULL_POP_SECONDS."""
    now = time.monotonic()
    if len(_full_pop_until) >= _FULL_POP_ENTRIES:
        # items() is copied first, because other threads may add entries.
        for other, until in list(_full_pop_until.items()):
            if until <= now:
                _full_pop_until.pop(other, None)
    _full_pop_until[key] = now + FULL_POP_SECONDS


# Reasons recorded with dead letters.
REASON_MAX_ATTEMPTS = "max_attempts"
REASON_UNDECODABLE = "undecodable"

_KEY_SUFFIXES = (
    "leases",
    "lease-info",
    "attempts",
    "dead",
    "dead-info",
)


# The Redis type each key of a set must have, in ``lease_keys`` order, and
# the name of each type in messages.
KEY_TYPES = ("zset", "zset", "hash", "hash", "zset", "hash")
TYPE_NAMES = {"zset": "sorted set", "hash": "hash"}


def lease_keys(name: str) -> tuple[str, ...]:
    """Return the KEYS of every lease script: the set, then its auxiliary keys."""
    return (name, *(_keys.auxiliary_key(name, suffix) for suffix in _KEY_SUFFIXES))


def load_script_with_preludes(name: str, *parts: str) -> Script:
    """Read ``scripts/<name>.lua`` with the named script files in front.

    Redis Lua has no ``require``, so shared functions travel as source. A
    part whose name ends in ``_prelude`` contributes only the statements
    that the rest of the script uses (see ``_lua.used_definitions``).
    Other parts go in whole, in the order given.
    """
    # Lua code can use a local only after its statement, so each prelude
    # keeps what the code after it uses, and the parts are read from the end.
    pieces = [load_script(name).source]
    for part in reversed(parts):
        source = load_script(part).source
        if part.endswith("_prelude"):
            source = used_definitions(source, "".join(pieces))
        pieces.insert(0, source)
    source = "".join(pieces)
    return Script(name, source, hashlib.sha1(source.encode()).hexdigest())


def load_lease_script(name: str, head: str | None = None) -> Script:
    """Read a lease script with its preludes, and ``head`` between them.

    A head runs before lease_prelude.lua defines its functions, so a call
    with nothing in flight can return early and skip that cost.
    """
    heads = () if head is None else (head,)
    preludes = ("clock_prelude", *heads, "lease_prelude")
    return load_script_with_preludes(name, *preludes)


CLAIM = load_lease_script("lease_claim")
ACK = load_lease_script("lease_ack")
RELEASE = load_lease_script("lease_release")
EXTEND = load_lease_script("lease_extend")
POP = load_lease_script("lease_pop", "lease_pop_head")
POP_FAST = load_script("lease_pop_fast")
SETTLE_BLOCKING_POP = load_lease_script("lease_settle_pop")
PEEK = load_lease_script("lease_peek", "lease_peek_head")
COUNT = load_lease_script("lease_count", "lease_count_head")
DISCARD = load_lease_script("lease_discard")
BURY = load_lease_script("lease_bury")
REQUEUE = load_lease_script("lease_requeue")
PURGE = load_lease_script("lease_purge")
DEAD_LETTERS = load_lease_script("lease_dead_letters")


@dataclass(frozen=True)
class Lease(Generic[T]):
    """One claimed item and the fencing token that proves this claim.

    ``deadline`` is the Unix time at which the lease ends, as the claim set
    it. ``extend`` moves the deadline on the server but not here.
    ``attempts`` counts deliveries of the item since its last ack, this one
    included, so it is 1 on the first delivery.
    """

    item: T
    member: bytes
    token: str
    deadline: float
    attempts: int


@dataclass(frozen=True)
class DeadLetter(Generic[T]):
    """A member moved from the set to its dead letters, and why.

    ``reason`` is ``"max_attempts"`` (delivered ``max_attempts`` times
    without an ack) or ``"undecodable"`` (the codec failed on it). ``item``
    is the decoded member, or None when it does not decode.
    """

    member: bytes
    score: float
    attempts: int
    reason: str
    item: T | None


def wait_until_hint(wait: float, now: float, *hints: Any) -> float:
    """Shorten ``wait`` to end just after the earliest of the poll hints.

    The hints are Unix times from a script (the next due score, the next
    lease deadline), or None and False when there is none. Waking then lets
    the next poll see the item that fell due or the lease that expired.
    """
    for moment in hints:
        if moment is not None and moment is not False:
            wait = min(wait, max(as_float(moment) - now, 0.001))
    return wait


# Shortest lease, lease extension or ExpiringSet TTL accepted, in seconds. A
# deadline is now plus the duration, and near today's Unix time (1.8e9)
# doubles are about 2.4e-7 apart. A much shorter duration could therefore
# give a deadline equal to now, which is a lease that ends as it begins,
# after counting a delivery. One millisecond is also the resolution of
# Redis key expiry.
MIN_SECONDS = 0.001


def check_seconds(value: object, name: str) -> float:
    """Return a finite number of seconds of at least MIN_SECONDS, or raise."""
    # int and float come first in the tuple, so the common case never
    # reaches the slower ABC test.
    if isinstance(value, bool) or not isinstance(value, (int, float, numbers.Real)):
        raise InvalidTypeError(
            f"{name} must be a number of seconds, got {type(value).__name__} {value!r}"
        )
    try:
        seconds = float(value)
    except OverflowError:  # an int too large for a double
        seconds = math.inf
    if not 0 < seconds < math.inf:
        raise InvalidValueError(
            f"{name} must be a positive, finite number of seconds, got {value!r}"
        )
    if seconds < MIN_SECONDS:
        raise InvalidValueError(
            f"{name} must be at least {MIN_SECONDS} seconds, got {value!r}"
        )
    return seconds


def check_max_attempts(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidTypeError(
            f"max_attempts must be an int or None, got {type(value).__name__} {value!r}"
        )
    if value < 1:
        raise InvalidValueError(
            f"max_attempts must be at least 1, got {value}; pass None for no limit"
        )
    return value


def parse_dead_info(info: Any) -> tuple[int, str]:
    """Split a dead-info value into the delivery count and the reason.

    A dead letter without a value never decoded. ``bury`` in
    ``scripts/lease_prelude.lua`` writes the count as an integer and a space
    before the reason. Another client may have written a value whose first
    word is not ASCII digits. Its count then reads as 0, as ``bury`` reads a
    count that is not a number, and the whole value becomes the reason, so
    that it stays visible. A negative count, which only an overwritten
    count can give, reads the same way. Bytes that are not UTF-8 become
    U+FFFD.
    """
    if info is None or info is False:
        return 0, REASON_UNDECODABLE
    text = as_text(info)
    count, _, reason = text.partition(" ")
    # isdigit() alone would accept digits of other scripts, such as "٣".
    if count.isascii() and count.isdigit():
        return int(count), reason
    return 0, text


class LeaseMixin(Generic[T]):
    """Lease and dead-letter operations of ``SetCore``, as I/O-free generators."""

    if TYPE_CHECKING:
        _name: str
        _lease_keys: tuple[str, ...]
        _dead_key: str
        _script_keys: tuple[bytes, ...]
        _lease_settings: tuple[bytes, bytes]
        _max_attempts: int | None
        due_only: ClassVar[bool]
        _encode: Callable[[T], bytes]
        _decode: Callable[[bytes], T]
        _now_argument: Callable[[], float | bytes]

    def _lease_script_op(self, script: Script, *args: Any) -> Operation[Any]:
        """Run a lease script with the arguments every one of them reads first.

        Those are now, max_attempts and the update policy's ZADD flag (see
        ``scripts/lease_prelude.lua``).
        """
        arguments = (self._now_argument(), *self._lease_settings, *args)
        return (yield from eval_script(script, self._script_keys, arguments))

    def _claim_op(
        self, count: object, lease: object, timeout: object, ack: object = None
    ) -> Operation[list[Lease[T]]]:
        checked = check_count(count)
        seconds = check_seconds(lease, "lease")
        wait = check_timeout(timeout)
        finishing = self._ack_arguments(ack)
        if checked == 0 and not finishing:
            return []
        give_up = None if wait is None else time.monotonic() + wait
        due_flag = b"1" if self.due_only else b""
        # The script computes when to poll again only for a caller that waits.
        wait_flag = b"" if give_up is None else b"1"
        count_left = checked
        # Leases by member. A lease that ends before the call returns puts its
        # item back in the set, where a later round can claim it again. Only
        # the newer lease is still held, so it replaces the older.
        collected: dict[bytes, Lease[T]] = {}
        while True:
            prefix = os.urandom(8).hex()
            reply = yield from self._lease_script_op(
                CLAIM,
                due_flag,
                b"%d" % count_left,
                seconds,
                prefix.encode(),
                wait_flag,
                *finishing,
            )
            header = 2
            if finishing:
                header = 3
                distinct = len(set(zip(finishing[::2], finishing[1::2], strict=True)))
                self._log_stale_acks(distinct, int(reply[2]))
                # Later polls must not send the acks again.
                finishing = []
            claimed_from = header + int(reply[1])
            self._log_max_attempts(reply[header:claimed_from])
            if reply[0] is None or reply[0] is False:
                # Nothing was claimed, and poll hints follow instead.
                hints = reply[claimed_from:]
                claimed: Sequence[Any] = []
                leases: list[Lease[T]] = []
                moved = 0
            else:
                claimed = reply[claimed_from:]
                deadline = as_float(reply[0])
                leases, moved = yield from self._decode_claimed_op(
                    claimed, deadline, prefix
                )
            for claimed_lease in leases:
                collected[claimed_lease.member] = claimed_lease
            claimed_count = len(claimed) // 2
            if len(leases) < claimed_count:
                if moved and (claimed_count == count_left or not collected):
                    # Members went to dead letters: claim the next ones in
                    # their place, as pop does. Once some leases are held,
                    # the next polls do not wait.
                    count_left = checked - len(collected)
                    if collected:
                        give_up = None
                        wait_flag = b""
                    elif give_up is not None and time.monotonic() >= give_up:
                        # A long run of such members must not outlast the
                        # timeout.
                        return []
                    continue
                if not moved and not collected and give_up is not None:
                    # Their leases ended and other scripts put them back in
                    # the set before they could move, so claiming again at
                    # once could meet them over and over. Poll instead.
                    remaining = give_up - time.monotonic()
                    if remaining <= 0:
                        return []
                    yield Sleep(min(remaining, POLL_INTERVAL))
                    continue
            if collected or give_up is None or checked == 0:
                return list(collected.values())
            remaining = give_up - time.monotonic()
            if remaining <= 0:
                return []
            wait = min(remaining, POLL_INTERVAL)
            now, due_hint, deadline_hint = hints
            if not self.due_only:
                due_hint = None
            yield Sleep(wait_until_hint(wait, as_float(now), due_hint, deadline_hint))

    def _ack_arguments(self, ack: object) -> list[Any]:
        """Return the member, token pairs of the leases that claim(ack=) finishes."""
        if ack is None:
            return []
        leases = [ack] if isinstance(ack, Lease) else ack
        if isinstance(leases, (str, bytes)) or not isinstance(leases, Iterable):
            raise InvalidTypeError(
                f"ack must be a Lease, an iterable of Leases or None, got "
                f"{type(ack).__name__}"
            )
        arguments: list[Any] = []
        for held in leases:
            arguments += self._lease_arguments(held)
        return arguments

    def _log_stale_acks(self, given: int, finished: int) -> None:
        # ack() and ack_many() return this count; claim() returns leases, so
        # a lease that was no longer held is reported here instead.
        if finished < given:
            logger.warning(
                "claim(ack=...) on %r finished %d of %d leases: the others had "
                "expired or were claimed again, so their items may be handed "
                "out twice",
                self._name,
                finished,
                given,
            )

    def _decode_claimed_op(
        self, flat: Sequence[Any], deadline: float, prefix: str
    ) -> Operation[tuple[list[Lease[T]], int]]:
        """Build the leases of a claim reply's member, attempts pairs.

        The n-th member's token is ``<prefix>:<n>``, as the script made it.
        Members that do not decode go to dead letters. Returns the leases and
        the number of members moved there.
        """
        leases: list[Lease[T]] = []
        undecodable: list[tuple[bytes, float | None, str]] = []
        for n, i in enumerate(range(0, len(flat), 2), start=1):
            member = as_bytes(flat[i])
            token = f"{prefix}:{n}"
            try:
                item = self._decode(member)
            except DecodeError:
                undecodable.append((member, None, token))
                continue
            leases.append(Lease(item, member, token, deadline, int(flat[i + 1])))
        moved = 0
        if undecodable:
            moved = yield from self._bury_op(undecodable)
        return leases, moved

    def _bury_op(
        self, members: Sequence[tuple[bytes, float | None, str]]
    ) -> Operation[int]:
        """Move members that do not decode to dead letters, and count them.

        Each entry is (member, score, token). A claimed member comes with its
        lease token and no score, because the server kept its score. A popped
        member comes with its score and an empty token. Each member moved is
        logged as a WARNING.
        """
        arguments: list[Any] = [REASON_UNDECODABLE]
        for member, score, token in members:
            arguments += [member, "" if score is None else score, token]
        # A claimed member whose lease a script has ended since is not moved.
        moved = yield from self._lease_script_op(BURY, *arguments)
        for member in moved:
            logger.warning(
                "Moved member %r of %r to dead letters %r: it does not decode",
                as_bytes(member)[:200],
                self._name,
                self._dead_key,
            )
        return len(moved)

    def _claim_one_op(self, lease: object, timeout: object) -> Operation[Lease[T]]:
        """Claim one item for ``claimed()``, raising EmptyError when none came."""
        leases = yield from self._claim_op(1, lease, timeout)
        if not leases:
            raise EmptyError(self._name, f"no item of {self._name!r} to claim")
        return leases[0]

    def _lease_arguments(self, lease: object) -> tuple[bytes, str]:
        if not isinstance(lease, Lease):
            raise InvalidTypeError(
                f"expected a Lease returned by claim(), got {type(lease).__name__}"
            )
        return lease.member, lease.token

    def _ack_op(self, lease: Lease[T]) -> Operation[bool]:
        member, token = self._lease_arguments(lease)
        return bool((yield from self._lease_script_op(ACK, member, token)))

    def _ack_many_op(self, leases: Iterable[Lease[T]]) -> Operation[int]:
        arguments: list[Any] = []
        for lease in leases:
            arguments += self._lease_arguments(lease)
        if not arguments:
            return 0
        return int((yield from self._lease_script_op(ACK, *arguments)))

    def _release_op(self, lease: Lease[T], delay: object) -> Operation[bool]:
        member, token = self._lease_arguments(lease)
        seconds: float | str = ""
        if delay is not None:
            if not self.due_only:
                raise InvalidValueError(
                    f"release(delay={delay!r}) needs a ScheduledSet, where the "
                    f"delay sets the item's due time. A {type(self).__name__} "
                    "orders by score, so release without a delay, or add the "
                    "item with a new score"
                )
            seconds = delay_seconds(delay)
        reply = int((yield from self._lease_script_op(RELEASE, member, token, seconds)))
        if reply == 2:
            self._log_max_attempts([member])
        return reply > 0

    def _log_max_attempts(self, members: Sequence[Any]) -> None:
        # NOTE: other scripts also return expired leases to the set and may
        # move items to dead letters there; only claim and release log it.
        for member in members:
            logger.warning(
                "Moved member %r of %r to dead letters %r: delivered %s times "
                "without an ack",
                as_bytes(member)[:200],
                self._name,
                self._dead_key,
                self._max_attempts,
            )

    def _extend_op(self, lease: Lease[T], seconds: object) -> Operation[bool]:
        member, token = self._lease_arguments(lease)
        checked = check_seconds(seconds, "seconds")
        reply = yield from self._lease_script_op(EXTEND, member, token, checked)
        return reply is not None and reply is not False

    def _in_flight_op(self) -> Operation[int]:
        return int((yield from self._lease_script_op(COUNT, "in_flight")))

    def _dead_letters_op(self, limit: object) -> Operation[list[DeadLetter[T]]]:
        if limit is None:
            stop = -1
        else:
            checked = check_count(limit, "limit")
            if checked == 0:
                return []
            stop = checked - 1
        reply = yield from self._lease_script_op(DEAD_LETTERS, stop)
        letters: list[DeadLetter[T]] = []
        for i in range(0, len(reply), 3):
            member = as_bytes(reply[i])
            count, reason = parse_dead_info(reply[i + 2])
            try:
                item: T | None = self._decode(member)
            except DecodeError:
                item = None
            letters.append(
                DeadLetter(member, as_float(reply[i + 1]), count, reason, item)
            )
        return letters

    def _dead_letter_count_op(self) -> Operation[int]:
        return int((yield from self._lease_script_op(COUNT, "dead")))

    def _requeue_dead_letters_op(
        self, members: Iterable[bytes] | None
    ) -> Operation[int]:
        chosen: list[bytes] = []
        if members is not None:
            for member in members:
                if not isinstance(member, bytes):
                    raise InvalidTypeError(
                        f"members must be the bytes of DeadLetter.member, got "
                        f"{type(member).__name__} {member!r}"
                    )
                chosen.append(member)
            if not chosen:
                return 0
        return int((yield from self._lease_script_op(REQUEUE, *chosen)))

    def _purge_dead_letters_op(self) -> Operation[int]:
        return int((yield from self._lease_script_op(PURGE)))
