"""The I/O-free core shared by the sync and async set classes.

``SetCore`` validates arguments, builds commands and decodes replies. Each
operation is a generator (see ``_protocol``); the public classes in ``_sync``
and ``_async`` run those generators against a client and add nothing else.
"""

from __future__ import annotations

import inspect
import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal, overload

from ._checks import (
    check_clock_time,
    check_count,
    check_score,
    check_timeout,
    delay_seconds,
    due_timestamp,
)
from ._leases import (
    COUNT,
    DISCARD,
    KEY_TYPES,
    PEEK,
    POLL_INTERVAL,
    POP,
    POP_FAST,
    SETTLE_BLOCKING_POP,
    TYPE_NAMES,
    LeaseMixin,
    check_max_attempts,
    lease_keys,
    load_script_with_preludes,
    record_full_pop,
    skips_short_pop,
    wait_until_hint,
)
from ._protocol import (
    Command,
    Operation,
    Sleep,
    error_has_code,
    eval_script,
    is_error_reply,
    load_script,
    logger,
)
from ._replies import as_bytes, as_float, as_pairs, as_text, server_version
from ._typing import T
from .codecs import Codec, Serializer, resolve_codec
from .errors import (
    DecodeError,
    EmptyError,
    EncodeError,
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

# Maximum wait of one BZPOPMIN, in seconds. A longer wait repeats the
# command, because redis-py 8.2 clients read every reply with a 5 s socket
# timeout by default, and a read that times out closes the connection and
# raises TimeoutError.
MAX_BLOCK_SECONDS = 1.0

# Iteration cursor: the last (score, member) pair returned.
Cursor = tuple[float, bytes]

_PAGE = load_script("page")
_CLEAR = load_script("clear")
ADD_DELAYED = load_script_with_preludes("add_delayed", "clock_prelude")


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


class SetCore(LeaseMixin[T]):
    """State and operations common to every set class, without any I/O."""

    # Each subclass documents its default; see the class docstrings.
    default_update: ClassVar[UpdatePolicy] = "replace"
    # ScheduledSet: pop, take and peek see only members whose score is due.
    due_only: ClassVar[bool] = False
    # TimeSortedSet: without a scorer, the score is the clock's time.
    time_scored: ClassVar[bool] = False
    # The asyncio classes need a client whose execute_command is a coroutine.
    is_async: ClassVar[bool] = False

    # Without a codec or serializer the members are text: no parameter
    # mentions T, so type checkers use its default, str, and a scorer such
    # as len cannot make the set a set of Sized.
    @overload
    def __init__(
        self,
        client: Any,
        name: str,
        scorer: Scorer[str] | None = None,
        serializer: None = None,
        *,
        codec: None = None,
        update: UpdatePolicy | None = None,
        clock: Clock | None = None,
        max_attempts: int | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self,
        client: Any,
        name: str,
        scorer: Scorer[T] | None = None,
        serializer: None = None,
        *,
        codec: Codec[T] | None,
        update: UpdatePolicy | None = None,
        clock: Clock | None = None,
        max_attempts: int | None = None,
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
        max_attempts: int | None = None,
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
        max_attempts: int | None = None,
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
        max_attempts: int | None = None,
    ) -> None:
        self._check_client(client)
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
        try:
            name.encode("utf-8")
        except UnicodeEncodeError as error:
            raise InvalidValueError(
                f"name {name!r} cannot be encoded as UTF-8: {error}"
            ) from None
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
        self._max_attempts = check_max_attempts(max_attempts)
        self._lease_keys = lease_keys(name)
        # The keys of every lease script, and its ARGV[2] and ARGV[3]
        # (max_attempts and the update policy's ZADD flag), kept as bytes
        # because redis-py encodes a str or int argument on every call and
        # passes bytes through.
        self._script_keys = tuple(key.encode() for key in self._lease_keys)
        flags = _UPDATE_FLAGS[self._update]
        self._lease_settings = (
            b"" if self._max_attempts is None else b"%d" % self._max_attempts,
            flags[0].encode() if flags else b"",
        )
        # The set, its leases and its delivery counts: the keys of POP_FAST.
        self._fast_pop_keys = tuple(self._script_keys[i] for i in (0, 1, 3))
        self._dead_key = self._lease_keys[4]
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
        """The Redis key of the set's dead letters.

        A sorted set of member -> score: members that no longer decode, and
        items delivered ``max_attempts`` times without an ack.
        """
        return self._dead_key

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self._name!r} codec={self._codec!r}>"

    @classmethod
    def _check_client(cls, client: object) -> None:
        execute = getattr(client, "execute_command", None)
        if not callable(execute):
            raise InvalidTypeError(
                "client must be a redis-py style client with execute_command(), "
                f"got {type(client).__name__}"
            )
        if "Pipeline" in type(client).__name__:
            raise InvalidTypeError(
                "client must be a client, not a pipeline: redset needs each "
                "reply before it sends the next command"
            )
        # A sync client under an async class would run each command before the
        # await fails, so a pop would remove items and then lose them.
        if inspect.iscoroutinefunction(execute) != cls.is_async:
            wanted = "redis.asyncio.Redis" if cls.is_async else "redis.Redis"
            module = "redset.asyncio" if cls.is_async else "redset"
            raise InvalidTypeError(
                f"{module}.{cls.__name__} needs a {wanted}-style client, got "
                f"{type(client).__module__}.{type(client).__name__}"
            )

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

    def _read_clock(self) -> float:
        """Return the clock's time as finite Unix seconds, or raise."""
        now = (self._clock or time.time)()
        # A finite float needs no more checks; check_clock_time's
        # numbers.Real test stood out in profiles.
        if type(now) is not float or not math.isfinite(now):
            now = check_clock_time(now)
        return now

    def _time_score(self) -> float:
        """Return one TimeSortedSet score, as ``_time_scores(1)`` would."""
        now = self._read_clock()
        with self._time_lock:
            if now <= self._last_time:
                now = math.nextafter(self._last_time, math.inf)
            self._last_time = now
        return now

    def _time_scores(self, count: int) -> list[float]:
        """Return ``count`` TimeSortedSet scores for items added together.

        The clock is read once. Each score is strictly later than the one
        before it and than any this object returned earlier, so items added
        while the clock reads the same value still come out in the order
        they were added.
        """
        now = self._read_clock()
        scores: list[float] = []
        with self._time_lock:
            last = self._last_time
            for _ in range(count):
                last = now if now > last else math.nextafter(last, math.inf)
                scores.append(last)
            self._last_time = last
        return scores

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
            members = [self._encode(item) for item in items]
            scores = self._time_scores(len(members))
            return list(zip(members, scores, strict=True)), False
        if self.due_only:
            if self._clock is None:
                return [(self._encode(item), 0.0) for item in items], True
            now = check_clock_time(self._clock())
            return [(self._encode(item), now) for item in items], False
        return [(self._encode(item), 0.0) for item in items], False

    def _now_argument(self) -> float | bytes:
        """Return the ARGV value the due-time scripts read as "now"."""
        return b"" if self._clock is None else check_clock_time(self._clock())

    # -- wrapping every operation -------------------------------------------

    def _guarded(self, operation: Operation[Any]) -> Operation[Any]:
        """Run ``operation`` after a one-time server check; explain WRONGTYPE."""
        if not self._server_checked:
            yield from self._check_server()
        try:
            return (yield from operation)
        except Exception as error:
            if not (is_error_reply(error) and error_has_code(error, "WRONGTYPE")):
                raise
        for key, expected in self._typed_keys():
            redis_type = as_text((yield Command(("TYPE", key))))
            if redis_type not in (expected, "none"):
                raise WrongTypeError(key, redis_type, TYPE_NAMES[expected])
        # Every key has the right type now, so another client changed one
        # between the failed command and the TYPE checks.
        raise WrongTypeError(
            self._name,
            "unknown",
            message=(
                f"a command on set {self._name!r} failed with WRONGTYPE, but each "
                "of its keys has the expected type now, so another client "
                "replaced one of them meanwhile; check which program writes "
                f"keys named like {self._name!r}, then retry"
            ),
        )

    def _typed_keys(self) -> list[tuple[str, str]]:
        """Return each key of the set with the Redis type it must hold."""
        return list(zip(self._lease_keys, KEY_TYPES, strict=True))

    def _check_server(self) -> Operation[None]:
        # NOTE: redis-py's and valkey's cluster clients send INFO to one node
        # (their default node), so a cluster that mixes server versions is
        # checked on that node only.
        try:
            info = yield Command(("INFO", "server"))
        except Exception as error:
            # fakeredis and some proxies reply to INFO with an error; anything
            # else, such as a dropped connection, is the caller's to see.
            if not is_error_reply(error):
                raise
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

        One ZADD does the add. A member that is in flight under a lease
        joins the set as well, and the scripts that hand out members pass
        over it until its lease ends. With ``relative``, each score is a
        delay in seconds from the server clock's now, which a Lua script
        reads.
        """
        # The set's own policy was checked when the set was made.
        flags = _UPDATE_FLAGS[
            self._update if update is None else self._check_update(update)
        ]
        if not pairs:
            return 0
        if relative:
            arguments: list[Any] = ["", flags[0] if flags else ""]
            for member, delay in pairs:
                arguments += [delay, member]
            script_keys = self._script_keys[:1]
            return int((yield from eval_script(ADD_DELAYED, script_keys, arguments)))
        command: list[Any] = ["ZADD", self._name, *flags]
        for member, score in pairs:
            command += [score, member]
        return int((yield Command(tuple(command))))

    def _add_item_op(
        self, item: T, score: float | None, update: UpdatePolicy | None
    ) -> Operation[bool]:
        """Add one item with ``score``, or the default score when it is None."""
        if score is not None:
            pairs, relative = self._explicit_pairs([(item, score)]), False
        elif self.time_scored and self._scorer is None:
            # The common TimeSortedSet add, without the batch path's lists.
            pairs, relative = [(self._encode(item), self._time_score())], False
        else:
            pairs, relative = self._default_scores([item])
        return (yield from self._add_op(pairs, update, relative=relative)) == 1

    def _update_op(
        self, items: Iterable[T], update: UpdatePolicy | None
    ) -> Operation[int]:
        pairs, relative = self._default_scores(items)
        return (yield from self._add_op(pairs, update, relative=relative))

    def _add_scored_op(
        self, pairs: Iterable[tuple[T, float]], update: UpdatePolicy | None
    ) -> Operation[int]:
        return (yield from self._add_op(self._explicit_pairs(pairs), update))

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
            return [
                (self._encode(item), check_clock_time(self._clock()) + seconds)
            ], False
        return self._default_scores([item])

    def _schedule_op(
        self,
        item: T,
        score: float | None,
        at: datetime | float | None,
        delay: float | timedelta | None,
        update: UpdatePolicy | None,
    ) -> Operation[bool]:
        pairs, relative = self._scheduled_pair(item, score, at, delay)
        return (yield from self._add_op(pairs, update, relative=relative)) == 1

    # -- removing ---------------------------------------------------------------

    def _pop_raw_op(
        self, count: int, timeout: float | None
    ) -> Operation[list[tuple[bytes, float]]]:
        """Pop up to ``count`` (member, score) pairs, waiting up to ``timeout``.

        Each poll is a Lua script that first returns expired leases to the
        set. Except on a ScheduledSet, a short script first pops with
        ZPOPMIN, or finds a lease or a delivery count, and then the full
        script runs (see record_full_pop). A ScheduledSet sleeps between
        polls. Other sets wait in BZPOPMIN when the set was empty with
        nothing in flight. Otherwise they sleep between polls as well,
        because BZPOPMIN would take a member added during its lease, and
        the item would be lost if the caller failed before putting it back.
        """
        give_up = None if timeout is None else time.monotonic() + timeout
        due_flag = b"1" if self.due_only else b""
        # The script computes when to poll again only for a caller that waits.
        wait_flag = b"" if give_up is None else b"1"
        count_argument = b"%d" % count
        key = self._script_keys[0]
        while True:
            reply = None
            if not self.due_only and not skips_short_pop(key):
                reply = yield from eval_script(
                    POP_FAST, self._fast_pop_keys, (count_argument,)
                )
                if reply is None:
                    record_full_pop(key)
            if reply is None:
                reply = yield from self._lease_script_op(
                    POP, due_flag, count_argument, wait_flag
                )
            # Popped pairs come in twos. The full script's three poll hints
            # mean nothing was popped, and so does an empty reply from the
            # short script, which pops only when nothing is in flight.
            if give_up is None or (reply and len(reply) % 2 == 0):
                return as_pairs(reply)
            remaining = give_up - time.monotonic()
            if remaining <= 0:
                return []
            if reply:
                now, lowest, deadline_hint = reply
                # BZPOPMIN can only wait safely on an empty set with nothing
                # in flight: it would take a member that was added during its
                # lease, which only the settle script can put back.
                polls = self.due_only or any(
                    hint is not None and hint is not False
                    for hint in (lowest, deadline_hint)
                )
                wait = min(remaining, POLL_INTERVAL) if polls else remaining
                due_hint = lowest if self.due_only else None
                wait = wait_until_hint(wait, as_float(now), due_hint, deadline_hint)
            else:
                polls, wait = False, remaining
            if polls:
                yield Sleep(wait)
                continue
            pairs = yield from self._blocking_pop_op(min(wait, MAX_BLOCK_SECONDS))
            if pairs:
                if count > 1:
                    try:
                        more = yield from self._lease_script_op(POP, "", count - 1, "")
                    except Exception:
                        # The item BZPOPMIN took has not reached the caller.
                        yield from self._restore_popped_op(pairs)
                        raise
                    pairs += as_pairs(more)
                return pairs

    def _blocking_pop_op(self, wait: float) -> Operation[list[tuple[bytes, float]]]:
        # NOTE: on an empty set, a wait under 0.1 s still lasts about 0.1 s
        # (measured on Redis 6.2.14 and 7.0.15): Redis checks blocked
        # clients' timeouts once per tick of its timer, 10 per second by
        # default (the hz setting).
        reply = yield Command(("BZPOPMIN", self._name, blocking_timeout_argument(wait)))
        if not reply:
            return []
        member, score = as_bytes(reply[1]), as_float(reply[2])
        # NOTE: a claim and an add of the same item can both land during this
        # wait. BZPOPMIN then takes an in-flight member, and an asyncio
        # cancellation or KeyboardInterrupt before the script below puts it
        # back loses that add.
        try:
            kept = yield from self._lease_script_op(SETTLE_BLOCKING_POP, member, score)
        except Exception:
            yield from self._restore_popped_op([(member, score)])
            raise
        if not int(kept):
            return []
        return [(member, score)]

    def _dead_letter_op(self, pairs: Sequence[tuple[bytes, float]]) -> Operation[None]:
        """Move popped members that do not decode to the dead-letter set."""
        yield from self._bury_op([(member, score, "") for member, score in pairs])

    def _decode_popped_op(
        self, pairs: Sequence[tuple[bytes, float]]
    ) -> Operation[list[tuple[T, float]]]:
        """Decode popped pairs; those that do not decode go to dead letters.

        The pairs have already left Redis, so when anything fails before they
        reach the caller (the dead-letter write, or an exception such as
        KeyboardInterrupt from a codec), they are put back at their scores
        before the error propagates.

        NOTE: a KeyboardInterrupt or asyncio cancellation that arrives while
        the dead-letter write is on the wire reaches the driver, not this
        operation, so the batch is not put back: such a pop is at most once.
        """
        decoded: list[tuple[T, float]] = []
        undecodable: list[tuple[bytes, float]] = []
        try:
            for member, score in pairs:
                try:
                    decoded.append((self._decode(member), score))
                except DecodeError:
                    undecodable.append((member, score))
            if undecodable:
                yield from self._dead_letter_op(undecodable)
        except GeneratorExit:
            # The driver closed the operation (asyncio cancellation): no more
            # commands can be sent.
            raise
        except BaseException:
            yield from self._restore_popped_op(pairs)
            raise
        return decoded

    def _restore_popped_op(
        self, pairs: Sequence[tuple[bytes, float]]
    ) -> Operation[None]:
        command: list[Any] = ["ZADD", self._name, "NX"]
        for member, score in pairs:
            command += [score, member]
        try:
            yield Command(tuple(command))
        except Exception as error:
            # The caller sees the first failure; this one is logged so the
            # members are not lost silently.
            logger.error(
                "Could not put %d popped members back into %r after a failure, "
                "so they are lost: %r (%s)",
                len(pairs),
                self._name,
                [member[:200] for member, _ in pairs],
                error,
            )

    def _take_op(self, count: object, timeout: float | None) -> Operation[list[T]]:
        checked = check_count(count)
        seconds = check_timeout(timeout)
        if checked == 0:
            return []
        deadline = None if seconds is None else time.monotonic() + seconds
        while True:
            pairs = yield from self._pop_raw_op(checked, seconds)
            decoded = yield from self._decode_popped_op(pairs)
            if decoded or not pairs:
                return [item for item, _ in decoded]
            # Every member went to dead letters: try the next ones in the time
            # left, as pop does.
            if deadline is not None:
                seconds = max(deadline - time.monotonic(), 0.0) or None

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
        return bool((yield from self._lease_script_op(DISCARD, member)))

    def _remove_op(self, item: T) -> Operation[None]:
        if not (yield from self._discard_op(item)):
            raise MemberNotFoundError(self._name, item)

    def _clear_op(self) -> Operation[None]:
        # Every key but the dead letters: leases held now end, so their acks
        # return False.
        keys = self._lease_keys[:4]
        yield from eval_script(_CLEAR, keys, KEY_TYPES[:4])

    # -- reading ------------------------------------------------------------

    def _peek_pair_op(self, position: object) -> Operation[tuple[bytes, float] | None]:
        position = check_count(position, "position")
        due_flag = "1" if self.due_only else ""
        reply = yield from self._lease_script_op(PEEK, due_flag, position)
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
        try:
            member = self._encode(item)
        except EncodeError:
            # A value the codec cannot encode is never a member, as ``in``
            # on a Python set returns False for a value of another type.
            return False
        return (yield Command(("ZSCORE", self._name, member))) is not None

    def _len_op(self) -> Operation[int]:
        return int((yield from self._lease_script_op(COUNT, "waiting")))

    def _available_op(self) -> Operation[int]:
        return int((yield from self._lease_script_op(COUNT, "due")))

    def _page_op(
        self, cursor: Cursor | None, *, start: float | str = "-inf"
    ) -> Operation[tuple[list[tuple[T, float]], Cursor | None]]:
        """Read the next page of (item, score) pairs in score order.

        The cursor is the last (score, member) returned, and the page is what
        follows it in Redis' order, found in one Lua script. Members popped
        from the front meanwhile therefore make iteration skip nothing.
        ``start`` is the ZRANGE BYSCORE lower bound of the first page.
        """
        arguments: list[Any] = [PAGE_SIZE, start]
        if cursor is not None:
            arguments += [cursor[0], cursor[1]]
        pairs = as_pairs((yield from eval_script(_PAGE, [self._name], arguments)))
        page = [(self._decode(member), score) for member, score in pairs]
        if len(pairs) < PAGE_SIZE:
            return page, None
        return page, (pairs[-1][1], pairs[-1][0])
