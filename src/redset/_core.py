"""The I/O-free core shared by the sync and async set classes.

``SetCore`` validates arguments, builds commands and decodes replies. Each
operation is a generator (see ``_protocol``); the public classes in ``_sync``
and ``_async`` run those generators against a client and add nothing else.
"""

from __future__ import annotations

import math
import numbers
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar, Generic, Literal, overload

from . import _keys
from ._protocol import Command, Operation, Sleep, eval_script, load_script, logger
from ._replies import as_bytes, as_float, as_pairs, as_text, server_version
from ._typing import T
from .codecs import Codec, Serializer, resolve_codec
from .errors import (
    DecodeError,
    EmptyError,
    EncodeError,
    InvalidScoreError,
    InvalidTypeError,
    InvalidValueError,
    MemberNotFoundError,
    RedsetError,
    UnsupportedServerError,
    WrongTypeError,
)

__all__ = ["Clock", "Cursor", "Scorer", "SetCore", "UpdatePolicy"]


Scorer = Callable[[T], float]
Clock = Callable[[], float]
UpdatePolicy = Literal["replace", "keep", "greater", "less"]

# ZADD flags for each update policy. A new member is added under every one.
_UPDATE_FLAGS: dict[str, tuple[str, ...]] = {
    "replace": (),
    "keep": ("NX",),
    "greater": ("GT",),
    "less": ("LT",),
}

MIN_SERVER_VERSION = (6, 2)

# Members per ZRANGE reply while iterating, so a large set never arrives as
# one huge reply.
PAGE_SIZE = 1000

# Maximum wait, in seconds, between two polls of a ScheduledSet for a due
# item, so that an item another process adds with an earlier due time is
# picked up within this delay.
POLL_INTERVAL = 0.05

# Iteration cursor: the last (score, member) pair returned.
Cursor = tuple[float, bytes]

_POP_DUE = load_script("pop_due")
_PEEK_DUE = load_script("peek_due")
_COUNT_DUE = load_script("count_due")
_ADD_DUE = load_script("add_due")


def _client_decodes_responses(client: Any) -> bool:
    getter = getattr(client, "get_connection_kwargs", None)
    if callable(getter):
        try:
            kwargs = getter()
        except Exception:  # a cluster client may not know a node yet
            kwargs = {}
    else:
        pool = getattr(client, "connection_pool", None)
        kwargs = getattr(pool, "connection_kwargs", {})
    return bool(isinstance(kwargs, dict) and kwargs.get("decode_responses"))


def check_score(score: object) -> float:
    """Return ``score`` as a float, or raise if Redis cannot store it."""
    if isinstance(score, bool) or not isinstance(score, numbers.Real):
        raise InvalidTypeError(
            f"score must be a real number, got {type(score).__name__} {score!r}"
        )
    try:
        value = float(score)
    except OverflowError:
        raise InvalidScoreError(
            score, f"score {score!r} is too large for a double"
        ) from None
    if math.isnan(value):
        raise InvalidScoreError(score, "score must not be NaN")
    return value


def check_count(count: object) -> int:
    if isinstance(count, bool) or not isinstance(count, int):
        raise InvalidTypeError(
            f"count must be an int, got {type(count).__name__} {count!r}"
        )
    if count < 0:
        raise InvalidValueError(f"count must not be negative, got {count}")
    return count


def check_timeout(timeout: object) -> float | None:
    """Return the timeout in seconds, None for no wait, math.inf for forever."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real):
        raise InvalidTypeError(
            f"timeout must be a number of seconds or None, got {timeout!r}"
        )
    seconds = float(timeout)
    if math.isnan(seconds) or seconds < 0:
        raise InvalidValueError(
            f"timeout must be a non-negative number of seconds, got {timeout!r}"
        )
    return seconds if seconds > 0 else None


def blocking_timeout_argument(seconds: float) -> str:
    """Format a wait for BZPOPMIN, which reads 0 as "wait forever".

    Redis converts the timeout to whole milliseconds by truncation, so
    0.0005 would block forever, and on Redis 6.2 even "0.001" truncates to
    0 through floating-point error. Round up to a whole millisecond, then
    add half a millisecond so truncation lands on it.
    """
    if math.isinf(seconds):
        return "0"
    milliseconds = max(1, math.ceil(seconds * 1000))
    return f"{(milliseconds + 0.5) / 1000:.4f}"


def delay_seconds(delay: object) -> float:
    if isinstance(delay, timedelta):
        return delay.total_seconds()
    if isinstance(delay, bool) or not isinstance(delay, numbers.Real):
        raise InvalidTypeError(
            f"delay must be seconds or a timedelta, got {type(delay).__name__}"
        )
    seconds = float(delay)
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
    return check_score(at)


class SetCore(Generic[T]):
    """State and operations common to every set class, without any I/O."""

    # Each subclass documents its default; see the class docstrings.
    default_update: ClassVar[UpdatePolicy] = "replace"
    # ScheduledSet: pop, take and peek see only members whose score is due.
    due_only: ClassVar[bool] = False
    # TimeSortedSet: without a scorer, the score is the clock's time.
    time_scored: ClassVar[bool] = False

    @overload
    def __init__(
        self,
        client: Any,
        name: str,
        scorer: Scorer[T] | None = None,
        serializer: None = None,
        *,
        codec: Codec[T] | None = None,
        update: UpdatePolicy | None = None,
        clock: Clock | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self,
        client: Any,
        name: str,
        scorer: Scorer[T] | None = None,
        *,
        serializer: Serializer[T],
        codec: None = None,
        update: UpdatePolicy | None = None,
        clock: Clock | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self,
        client: Any,
        name: str,
        scorer: Scorer[T] | None,
        serializer: Serializer[T],
        *,
        codec: None = None,
        update: UpdatePolicy | None = None,
        clock: Clock | None = None,
    ) -> None: ...

    def __init__(
        self,
        client: Any,
        name: str,
        scorer: Scorer[Any] | None = None,
        serializer: Any = None,
        *,
        codec: Any = None,
        update: UpdatePolicy | None = None,
        clock: Clock | None = None,
    ) -> None:
        if not callable(getattr(client, "execute_command", None)):
            raise InvalidTypeError(
                f"client must be a redis-py style client with execute_command(), "
                f"got {type(client).__name__}"
            )
        if _client_decodes_responses(client):
            raise InvalidValueError(
                "the client was created with decode_responses=True, so it turns "
                "stored members into str and binary members cannot round-trip; "
                "create the client with decode_responses=False (the default)"
            )
        if not isinstance(name, str):
            raise InvalidTypeError(
                f"name must be a str, got {type(name).__name__} {name!r}"
            )
        if not name:
            raise InvalidValueError("name must not be empty")
        if scorer is not None and not callable(scorer):
            raise InvalidTypeError(f"scorer must be callable, got {scorer!r}")
        if clock is not None and not callable(clock):
            raise InvalidTypeError(f"clock must be callable, got {clock!r}")

        self.client = client
        self._name = name
        self._codec: Codec[T] = resolve_codec(codec, serializer)
        self._scorer = scorer
        self._update = self._check_update(
            self.default_update if update is None else update
        )
        self._clock = clock
        self._dead_key = _keys.auxiliary_key(name, "dead")
        self._server_checked = False
        self._last_time = -math.inf
        self._time_lock = threading.Lock()

    # -- properties and helpers ---------------------------------------------

    @property
    def name(self) -> str:
        """The set's Redis key."""
        return self._name

    @property
    def codec(self) -> Codec[T]:
        """The codec that turns members into bytes and back."""
        return self._codec

    @property
    def dead_letter_key(self) -> str:
        """The Redis key of the set's dead letters (members that no longer decode)."""
        return self._dead_key

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self._name!r} codec={self._codec!r}>"

    @staticmethod
    def _check_update(update: object) -> UpdatePolicy:
        if update not in _UPDATE_FLAGS:
            raise InvalidValueError(
                f"update must be one of {', '.join(map(repr, _UPDATE_FLAGS))}, "
                f"got {update!r}"
            )
        return update  # type: ignore[return-value]  # membership checked above

    def _encode(self, item: T) -> bytes:
        try:
            data = self._codec.encode(item)
        except RedsetError:
            raise
        except Exception as error:
            raise EncodeError(
                item, f"{self._codec!r} cannot encode {item!r}: {error}"
            ) from error
        if not isinstance(data, bytes):
            raise EncodeError(
                item,
                f"{self._codec!r}.encode() returned {type(data).__name__}, "
                "expected bytes",
            )
        return data

    def _decode(self, raw: bytes) -> T:
        try:
            return self._codec.decode(raw)
        except Exception as error:
            raise DecodeError(
                self._name,
                raw,
                f"member {raw[:200]!r} of {self._name!r} does not decode with "
                f"{self._codec!r}: {error}",
            ) from error

    def _time_now(self) -> float:
        """Return the clock's time, strictly later than the last one returned.

        Items added while the clock reads the same value then still come out
        of a TimeSortedSet in the order they were added.
        """
        now = check_score((self._clock or time.time)())
        with self._time_lock:
            if now <= self._last_time:
                now = math.nextafter(self._last_time, math.inf)
            self._last_time = now
        return now

    def _default_scores(
        self, items: Iterable[T]
    ) -> tuple[list[tuple[bytes, float]], bool]:
        """Encode and score items added without an explicit score.

        Returns the (member, score) pairs and whether the scores are delays
        from the server clock's now, which only a ScheduledSet without an
        injected clock uses.
        """
        if self._scorer is not None:
            scorer = self._scorer
            return [
                (self._encode(item), check_score(scorer(item))) for item in items
            ], False
        if self.time_scored:
            return [(self._encode(item), self._time_now()) for item in items], False
        if self.due_only:
            if self._clock is None:
                return [(self._encode(item), 0.0) for item in items], True
            now = check_score(self._clock())
            return [(self._encode(item), now) for item in items], False
        return [(self._encode(item), 0.0) for item in items], False

    def _now_argument(self) -> float | str:
        """Return the ARGV value the due-time scripts read as "now"."""
        return "" if self._clock is None else check_score(self._clock())

    # -- wrapping every operation -------------------------------------------

    def _guarded(self, operation: Operation[Any]) -> Operation[Any]:
        """Run ``operation`` after a one-time server check; explain WRONGTYPE."""
        if not self._server_checked:
            yield from self._check_server()
        try:
            return (yield from operation)
        except Exception as error:
            if "WRONGTYPE" not in str(error):
                raise
        for key in (self._name, self._dead_key):
            redis_type = as_text((yield Command(("TYPE", key))))
            if redis_type not in ("zset", "none"):
                raise WrongTypeError(key, redis_type)
        raise WrongTypeError(self._name, "value of another type")

    def _check_server(self) -> Operation[None]:
        try:
            info = yield Command(("INFO", "server"))
        except Exception as error:
            # fakeredis and some proxies do not implement INFO.
            logger.debug("Skipping the server version check: %s", error)
            self._server_checked = True
            return
        found = server_version(info)
        if found is not None:
            text, version = found
            if version[:2] < MIN_SERVER_VERSION:
                raise UnsupportedServerError(
                    text, ".".join(map(str, MIN_SERVER_VERSION))
                )
        self._server_checked = True

    # -- adding ---------------------------------------------------------------

    def _add_op(
        self,
        pairs: Sequence[tuple[bytes, float]],
        update: UpdatePolicy | None,
        *,
        relative: bool = False,
    ) -> Operation[int]:
        """Add (member, score) pairs and return how many members are new.

        With ``relative``, each score is a delay in seconds from the server
        clock's now, applied inside a Lua script.
        """
        flags = _UPDATE_FLAGS[
            self._check_update(self._update if update is None else update)
        ]
        if not pairs:
            return 0
        if relative:
            arguments: list[Any] = [flags[0] if flags else ""]
            for member, delay in pairs:
                arguments += [delay, member]
            return int((yield from eval_script(_ADD_DUE, [self._name], arguments)))
        command: list[Any] = ["ZADD", self._name, *flags]
        for member, score in pairs:
            command += [score, member]
        return int((yield Command(tuple(command))))

    def _explicit_pairs(
        self, pairs: Iterable[tuple[T, float]]
    ) -> list[tuple[bytes, float]]:
        checked: list[tuple[bytes, float]] = []
        for pair in pairs:
            try:
                item, score = pair
            except (TypeError, ValueError):
                raise InvalidTypeError(
                    f"expected (item, score) pairs, got {pair!r}"
                ) from None
            checked.append((self._encode(item), check_score(score)))
        return checked

    def _scheduled_pair(
        self,
        item: T,
        score: float | None,
        at: datetime | float | None,
        delay: float | timedelta | None,
    ) -> tuple[list[tuple[bytes, float]], bool]:
        """Encode and score one ScheduledSet item; see ``_default_scores``."""
        given = [
            name
            for name, value in (("score", score), ("at", at), ("delay", delay))
            if value is not None
        ]
        if len(given) > 1:
            raise InvalidValueError(
                f"pass at most one of score=, at= and delay=, got {' and '.join(given)}"
            )
        if score is not None:
            return [(self._encode(item), check_score(score))], False
        if at is not None:
            return [(self._encode(item), due_timestamp(at))], False
        if delay is not None:
            seconds = delay_seconds(delay)
            if self._clock is None:
                return [(self._encode(item), seconds)], True
            return [(self._encode(item), check_score(self._clock()) + seconds)], False
        return self._default_scores([item])

    # -- removing ---------------------------------------------------------------

    def _pop_raw_op(
        self, count: int, timeout: float | None
    ) -> Operation[list[tuple[bytes, float]]]:
        """Pop up to ``count`` (member, score) pairs, waiting up to ``timeout``."""
        if self.due_only:
            return (yield from self._pop_due_op(count, timeout))
        if timeout is None:
            return as_pairs((yield Command(("ZPOPMIN", self._name, count))))
        if count > 1:
            pairs = as_pairs((yield Command(("ZPOPMIN", self._name, count))))
            if pairs:
                return pairs
        # BZPOPMIN returns at once when a member is waiting, so a single item
        # needs one round trip whether or not it has to wait.
        # NOTE: on an empty set, a timeout under 0.1 s still waits about
        # 0.1 s (measured on Redis 6.2.14 and 7.0.15), which matches one tick
        # of the server timer at the default hz of 10.
        reply = yield Command(
            ("BZPOPMIN", self._name, blocking_timeout_argument(timeout))
        )
        if not reply:
            return []
        pairs = [(as_bytes(reply[1]), as_float(reply[2]))]
        if count > 1:
            more = yield Command(("ZPOPMIN", self._name, count - 1))
            pairs += as_pairs(more)
        return pairs

    def _pop_due_op(
        self, count: int, timeout: float | None
    ) -> Operation[list[tuple[bytes, float]]]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            reply = yield from eval_script(
                _POP_DUE, [self._name], [self._now_argument(), count]
            )
            now = as_float(reply[0])
            next_due = None if reply[1] is None else as_float(reply[1])
            pairs = as_pairs(reply[2:])
            if pairs or deadline is None:
                return pairs
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            wait = min(remaining, POLL_INTERVAL)
            if next_due is not None:
                # Wake up just after the next member becomes due.
                wait = min(wait, max(next_due - now, 0.001))
            yield Sleep(wait)

    def _dead_letter_op(self, pairs: Sequence[tuple[bytes, float]]) -> Operation[None]:
        """Move popped members that do not decode to the dead-letter set."""
        command: list[Any] = ["ZADD", self._dead_key]
        for member, score in pairs:
            command += [score, member]
        yield Command(tuple(command))
        for member, _ in pairs:
            logger.warning(
                "Moved member %r of %r to dead letters %r: it does not decode with %r",
                member[:200],
                self._name,
                self._dead_key,
                self._codec,
            )

    def _decode_popped_op(
        self, pairs: Sequence[tuple[bytes, float]]
    ) -> Operation[list[tuple[T, float]]]:
        decoded: list[tuple[T, float]] = []
        undecodable: list[tuple[bytes, float]] = []
        for member, score in pairs:
            try:
                decoded.append((self._decode(member), score))
            except DecodeError:
                undecodable.append((member, score))
        if undecodable:
            yield from self._dead_letter_op(undecodable)
        return decoded

    def _take_op(self, count: object, timeout: float | None) -> Operation[list[T]]:
        checked = check_count(count)
        seconds = check_timeout(timeout)
        if checked == 0:
            return []
        pairs = yield from self._pop_raw_op(checked, seconds)
        decoded = yield from self._decode_popped_op(pairs)
        return [item for item, _ in decoded]

    def _pop_op(self, timeout: float | None) -> Operation[T]:
        seconds = check_timeout(timeout)
        deadline = None if seconds is None else time.monotonic() + seconds
        while True:
            pairs = yield from self._pop_raw_op(1, seconds)
            if not pairs:
                raise EmptyError(self._name, self._empty_message())
            decoded = yield from self._decode_popped_op(pairs)
            if decoded:
                return decoded[0][0]
            # The member went to dead letters: try the next one in the time left.
            if deadline is not None:
                seconds = max(deadline - time.monotonic(), 0.0) or None

    def _empty_message(self) -> str:
        if self.due_only:
            return f"no item in {self._name!r} is due"
        return f"{self._name!r} is empty"

    def _discard_op(self, item: T) -> Operation[bool]:
        member = self._encode(item)
        return bool((yield Command(("ZREM", self._name, member))))

    def _remove_op(self, item: T) -> Operation[None]:
        member = self._encode(item)
        if not (yield Command(("ZREM", self._name, member))):
            raise MemberNotFoundError(self._name, item)

    def _clear_op(self) -> Operation[None]:
        yield Command(("DEL", self._name))

    # -- reading ------------------------------------------------------------

    def _peek_pair_op(self, position: object) -> Operation[tuple[bytes, float] | None]:
        if isinstance(position, bool) or not isinstance(position, int):
            raise InvalidTypeError(f"position must be an int, got {position!r}")
        if position < 0:
            raise InvalidValueError(f"position must not be negative, got {position}")
        if self.due_only:
            reply = yield from eval_script(
                _PEEK_DUE, [self._name], [self._now_argument(), position]
            )
        else:
            reply = yield Command(
                ("ZRANGE", self._name, position, position, "WITHSCORES")
            )
        pairs = as_pairs(reply)
        return pairs[0] if pairs else None

    def _peek_op(self, position: object) -> Operation[T]:
        pair = yield from self._peek_pair_op(position)
        if pair is None:
            if position == 0:
                raise EmptyError(self._name, self._empty_message())
            raise EmptyError(
                self._name, f"{self._name!r} has no item at position {position}"
            )
        return self._decode(pair[0])

    def _peek_score_op(self) -> Operation[float | None]:
        pair = yield from self._peek_pair_op(0)
        return None if pair is None else pair[1]

    def _score_op(self, item: T) -> Operation[float | None]:
        member = self._encode(item)
        reply = yield Command(("ZSCORE", self._name, member))
        return None if reply is None else as_float(reply)

    def _contains_op(self, item: T) -> Operation[bool]:
        score = yield from self._score_op(item)
        return score is not None

    def _len_op(self) -> Operation[int]:
        return int((yield Command(("ZCARD", self._name))))

    def _available_op(self) -> Operation[int]:
        reply = yield from eval_script(_COUNT_DUE, [self._name], [self._now_argument()])
        return int(reply)

    def _page_op(
        self, cursor: Cursor | None
    ) -> Operation[tuple[list[tuple[T, float]], Cursor | None]]:
        """Read the next page of (item, score) pairs in score order.

        The cursor is the last (score, member) returned. Redis orders equal
        scores by member bytes, so the next page is everything after that
        pair, and members popped from the front meanwhile make iteration skip
        nothing.
        """
        low: float | str = "-inf" if cursor is None else cursor[0]
        offset = 0
        while True:
            reply = yield Command(
                (
                    "ZRANGE", self._name, low, "+inf", "BYSCORE",
                    "LIMIT", offset, PAGE_SIZE, "WITHSCORES",
                )
            )  # fmt: skip
            fetched = as_pairs(reply)
            pairs = fetched
            if cursor is not None:
                pairs = [(m, score) for m, score in fetched if (score, m) > cursor]
            # A full page of members tied with the cursor that were already
            # returned: look further along the tie.
            if pairs or len(fetched) < PAGE_SIZE:
                break
            offset += PAGE_SIZE
        page = [(self._decode(member), score) for member, score in pairs]
        if len(fetched) < PAGE_SIZE:
            return page, None
        return page, (pairs[-1][1], pairs[-1][0])
