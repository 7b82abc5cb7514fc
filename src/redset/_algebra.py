"""Set algebra between two sets, run on the Redis server.

Reading a union, intersection or difference of two redset sets is one
ZUNION, ZINTER or ZDIFF. Every in-place form, every count and every
operation with plain items runs one Lua script (``scripts/combine.lua``)
over ZUNIONSTORE, ZINTERSTORE and ZDIFFSTORE. Each operation is therefore
atomic, and no member travels to the client unless the result is read. A
plain Python iterable on the other side is encoded once, loaded into a
temporary key in the set's own cluster slot and deleted by the same script.

Results that are read come back as a ``list`` of members in score order.
Members may be unhashable (a dict under a JSON codec), so they cannot form a
Python ``set``, and the score order is what a queue consumer needs.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from redis.crc import key_slot

from . import _keys
from ._core import SetCore, UpdatePolicy
from ._leases import load_lease_script
from ._protocol import Command, Operation, eval_script, load_script
from ._replies import as_bytes, as_text
from ._typing import T
from .errors import IncompatibleSetsError, InvalidValueError, WrongTypeError

__all__ = ["Aggregate", "SetAlgebra"]

Aggregate = Literal["sum", "min", "max"]
Combination = Literal["union", "inter", "diff", "xor"]

# The default keeps the lower score of a member in both sets: the earlier
# time in a TimeSortedSet or ScheduledSet, the higher priority elsewhere.
DEFAULT_AGGREGATE: Aggregate = "min"

# Members per ZMSCORE when an iterable is checked against the set.
BATCH_SIZE = 1000

_COMBINE = load_script("combine")
_DISCARD_MANY = load_lease_script("discard_many")

# The Redis 6.2 commands that return a combination of two sets directly.
_READ_COMMANDS = {"union": "ZUNION", "inter": "ZINTER", "diff": "ZDIFF"}

# The connection settings that decide which server and database a client
# talks to.
_SERVER_SETTINGS = ("host", "port", "db", "path", "username")


def _check_aggregate(aggregate: object) -> str:
    if aggregate not in ("sum", "min", "max"):
        raise InvalidValueError(
            f"aggregate must be 'sum', 'min' or 'max', got {aggregate!r}"
        )
    return str(aggregate).upper()


def _is_cluster_client(client: Any) -> bool:
    # redis-py's sync and asyncio RedisCluster and valkey's both route
    # commands through a nodes manager; a single-server client has none.
    return getattr(client, "nodes_manager", None) is not None


def _server_of(client: Any) -> tuple[Any, ...] | None:
    """Return what identifies the server and database of a client, or None.

    A Sentinel pool (``Sentinel.master_for``) has no host, port or path:
    it looks up its master's address through its Sentinel manager by
    ``service_name``, so the service and the manager identify it. None means
    the place is unknown, and such a client matches only itself.
    """
    pool = getattr(client, "connection_pool", None)
    settings = getattr(pool, "connection_kwargs", None)
    if not isinstance(settings, dict):
        return None
    server = tuple(settings.get(name) for name in _SERVER_SETTINGS)
    if any(settings.get(name) is not None for name in ("host", "port", "path")):
        return server
    service = getattr(pool, "service_name", None)
    if service is None:
        return None
    manager = getattr(pool, "sentinel_manager", None)
    is_master = getattr(pool, "is_master", None)
    return (*server, service, id(manager), is_master)


def _same_server(client: Any, other: Any) -> bool:
    """Tell whether two clients reach the same server and database.

    Commands for both sets run on the first client, so a second client is
    only acceptable when it connects to the same place.
    """
    if client is other:
        return True
    if _is_cluster_client(client) or _is_cluster_client(other):
        return False
    server = _server_of(client)
    return server is not None and server == _server_of(other)


def _public_state(codec: object) -> dict[str, Any]:
    state = getattr(codec, "__dict__", {})
    return {name: value for name, value in state.items() if not name.startswith("_")}


def _same_codec(codec: object, other: object) -> bool:
    """Tell whether two codecs encode alike.

    They must be of the same type and either compare equal, or have the same
    repr and equal public attributes. The attributes tell apart two pydantic
    models or dataclasses that share a name (``PydanticCodec(M)``), whose
    classes differ. A custom codec without ``__eq__`` or ``__repr__`` only
    matches itself, so share one codec object between sets that are
    combined.
    """
    if codec is other:
        return True
    if type(codec) is not type(other):
        return False
    if codec == other:
        return True
    return repr(codec) == repr(other) and _public_state(codec) == _public_state(other)


def _single_command(command: Command) -> Operation[Any]:
    return (yield command)


class SetAlgebra(SetCore[T]):
    """Set algebra operations, I/O-free, shared by the sync and async classes."""

    # -- checking the other operand ---------------------------------------

    def _check_partner(self, other: SetAlgebra[Any]) -> None:
        """Raise unless ``other`` can be combined with this set on the server."""
        if not _same_server(self.client, other.client):
            if _is_cluster_client(self.client) or _is_cluster_client(other.client):
                message = (
                    f"sets {self.name!r} and {other.name!r} use different cluster "
                    "client objects, which redset cannot tell are the same "
                    "cluster; create both sets with the same cluster client object"
                )
            else:
                message = (
                    f"sets {self.name!r} and {other.name!r} use clients of "
                    "different servers or databases, or clients whose server "
                    "redset cannot tell; create both sets with the same client"
                )
            raise IncompatibleSetsError(self.name, other.name, message)
        if not _same_codec(self.codec, other.codec):
            raise IncompatibleSetsError(
                self.name,
                other.name,
                f"set {self.name!r} uses codec {self.codec!r} but {other.name!r} "
                f"uses {other.codec!r}, so equal items may be different members; "
                "create both sets with the same codec object",
            )
        if _is_cluster_client(self.client):
            slot = key_slot(self.name.encode())
            other_slot = key_slot(other.name.encode())
            if slot != other_slot:
                raise IncompatibleSetsError(
                    self.name,
                    other.name,
                    f"sets {self.name!r} and {other.name!r} are in different "
                    f"Redis Cluster slots ({slot} and {other_slot}); give both "
                    "names the same hash tag, for example 'pending{jobs}' and "
                    "'done{jobs}'",
                )

    def _lease_state_keys(self) -> list[str]:
        """Return the lease-info and attempts keys, in that order."""
        return [self._lease_keys[2], self._lease_keys[3]]

    def _temporary_keys(self, count: int) -> list[str]:
        # A random token keeps concurrent operations on the same set apart.
        token = uuid.uuid4().hex
        return [
            _keys.auxiliary_key(self.name, f"tmp:{token}:{index}")
            for index in range(count)
        ]

    def _literal_arguments(
        self, combination: Combination, items: Iterable[T]
    ) -> tuple[str, list[Any]]:
        """Encode plain items for the script: its ARGV[4] and the pairs after it.

        A union or symmetric difference may put the items into the set, so
        they are scored as ``update()`` scores them: by the scorer, the
        clock, or the server's time for a ScheduledSet. An intersection or
        difference ignores the items' scores, so they all score 0.
        """
        if combination in ("union", "xor"):
            pairs, relative = self._default_scores(items)
        else:
            pairs, relative = [(self._encode(item), 0.0) for item in items], False
        arguments: list[Any] = []
        for member, score in pairs:
            arguments += [score, member]
        return ("relative" if relative else "absolute"), arguments

    # -- combining ----------------------------------------------------------

    def _combine_op(
        self,
        combination: Combination,
        other: SetAlgebra[T] | Iterable[T],
        aggregate: object,
        mode: Literal["read", "store", "count"],
    ) -> Operation[Any]:
        """Combine with ``other``, a redset set or plain items, on the server.

        Reading the union, intersection or difference of two sets is one
        ZUNION, ZINTER or ZDIFF. Everything else runs the combine script,
        which needs temporary keys.
        """
        aggregate_argument = _check_aggregate(aggregate)
        if isinstance(other, SetAlgebra):
            self._check_partner(other)
        if isinstance(other, SetAlgebra) and mode == "read" and combination != "xor":
            command: list[Any] = [_READ_COMMANDS[combination], 2, self.name, other.name]
            if combination != "diff":
                command += ["AGGREGATE", aggregate_argument]
            request = _single_command(Command(tuple(command)))
        else:
            request = self._combine_script(combination, other, aggregate_argument, mode)
        try:
            return (yield from request)
        except Exception as error:
            if not isinstance(other, SetAlgebra) or "WRONGTYPE" not in str(error):
                raise
            # The caller's wrapper checks only this set's own keys, so name
            # the other set when it is the key of another type.
            redis_type = as_text((yield Command(("TYPE", other.name))))
            if redis_type not in ("zset", "none"):
                raise WrongTypeError(other.name, redis_type) from error
            raise

    def _combine_script(
        self,
        combination: Combination,
        other: SetAlgebra[T] | Iterable[T],
        aggregate_argument: str,
        mode: Literal["read", "store", "count"],
    ) -> Operation[Any]:
        temporary = self._temporary_keys(4)
        members: list[Any] = []
        if isinstance(other, SetAlgebra):
            other_key, literal = other.name, ""
        else:
            other_key = temporary[3]
            literal, members = self._literal_arguments(combination, other)
        target = self.name if mode == "store" else temporary[0]
        keys = [self.name, other_key, target, temporary[1], temporary[2]]
        keys += self._lease_state_keys()
        arguments = [combination, aggregate_argument, mode, literal, *members]
        return (yield from eval_script(_COMBINE, keys, arguments))

    def _combined_op(
        self,
        combination: Combination,
        other: SetAlgebra[T] | Iterable[T],
        aggregate: object = DEFAULT_AGGREGATE,
    ) -> Operation[list[T]]:
        """Return the combination's members in score order, ties in byte order.

        Raises DecodeError when a member of the result does not decode.
        """
        # Redis returns the members in score order without WITHSCORES, and
        # leaving the scores out halves the reply the client has to parse.
        reply = yield from self._combine_op(combination, other, aggregate, "read")
        return [self._decode(as_bytes(member)) for member in reply]

    def _store_op(
        self,
        combination: Combination,
        other: SetAlgebra[T] | Iterable[T],
        aggregate: object = DEFAULT_AGGREGATE,
    ) -> Operation[int]:
        """Replace the set with the combination; return the change in size.

        An item in flight under a lease takes part only if it was added
        again during the lease, because a claim takes it out of the set. One
        that the result puts in the set is handed out after its lease ends,
        as after an add.
        """
        reply = yield from self._combine_op(combination, other, aggregate, "store")
        before, after = (int(value) for value in reply)
        return after - before

    def _update_op(
        self, items: SetAlgebra[T] | Iterable[T], update: UpdatePolicy | None
    ) -> Operation[int]:
        """Add plain items, or the members of another redset set (a union)."""
        if isinstance(items, SetAlgebra):
            return (yield from self._update_from_set_op(items, update))
        return (yield from super()._update_op(items, update))

    def _update_from_set_op(
        self, other: SetAlgebra[T], update: object
    ) -> Operation[int]:
        """Add the members of ``other`` for ``update()``; return how many were new."""
        if update is not None:
            raise InvalidValueError(
                f"update={update!r} applies to plain items only; to add the "
                f"members of set {other.name!r}, call union_update() and "
                "choose how scores combine with aggregate="
            )
        return (yield from self._store_op("union", other))

    def _difference_update_op(
        self, other: SetAlgebra[T] | Iterable[T]
    ) -> Operation[int]:
        """Remove the members of ``other``; return how many were removed.

        Plain items need no temporary key: one Lua script returns expired
        leases to the set, then runs ZREM for each item, as ``discard()``
        does, O(M log N).
        """
        if isinstance(other, SetAlgebra):
            return -(yield from self._store_op("diff", other))
        members = [self._encode(item) for item in other]
        if not members:
            return 0
        return int((yield from self._lease_script_op(_DISCARD_MANY, *members)))

    # -- comparing ------------------------------------------------------------

    def _overlap_op(
        self, other: SetAlgebra[T] | Iterable[T]
    ) -> Operation[tuple[int, int, int]]:
        """Return the sizes of this set, of ``other`` and of their intersection.

        One script reads the three at once, so they describe one moment.
        """
        reply = yield from self._combine_op("inter", other, DEFAULT_AGGREGATE, "count")
        size, other_size, common = (int(value) for value in reply)
        return size, other_size, common

    def _issubset_op(self, other: SetAlgebra[T] | Iterable[T]) -> Operation[bool]:
        size, _, common = yield from self._overlap_op(other)
        return common == size

    def _issuperset_op(self, other: SetAlgebra[T] | Iterable[T]) -> Operation[bool]:
        _, other_size, common = yield from self._overlap_op(other)
        return common == other_size

    def _equals_op(self, other: SetAlgebra[T] | Iterable[T]) -> Operation[bool]:
        size, other_size, common = yield from self._overlap_op(other)
        return size == other_size == common

    def _is_proper_subset_op(
        self, other: SetAlgebra[T] | Iterable[T]
    ) -> Operation[bool]:
        size, other_size, common = yield from self._overlap_op(other)
        return common == size < other_size

    def _is_proper_superset_op(
        self, other: SetAlgebra[T] | Iterable[T]
    ) -> Operation[bool]:
        size, other_size, common = yield from self._overlap_op(other)
        return common == other_size < size

    def _batches(self, items: Iterable[T]) -> Iterator[list[tuple[T, bytes]]]:
        batch: list[tuple[T, bytes]] = []
        for item in items:
            batch.append((item, self._encode(item)))
            if len(batch) == BATCH_SIZE:
                yield batch
                batch = []
        if batch:
            yield batch

    def _isdisjoint_op(self, other: SetAlgebra[T] | Iterable[T]) -> Operation[bool]:
        """Tell whether no member is in both.

        Plain items are checked with one ZMSCORE per 1,000 items, stopping at
        the first member found, so a long or endless iterator is read only as
        far as needed.
        """
        if isinstance(other, SetAlgebra):
            _, _, common = yield from self._overlap_op(other)
            return common == 0
        for batch in self._batches(other):
            members = [member for _, member in batch]
            scores = yield Command(("ZMSCORE", self.name, *members))
            if any(score is not None for score in scores):
                return False
        return True

    def _missing_op(self, items: Iterable[T]) -> Operation[list[T]]:
        """Return the items that are not members, once each, in their order.

        One ZMSCORE per 1,000 items; items that encode alike count once.
        """
        seen: set[bytes] = set()
        missing: list[T] = []
        for batch in self._batches(items):
            fresh: list[tuple[T, bytes]] = []
            for item, member in batch:
                if member not in seen:
                    seen.add(member)
                    fresh.append((item, member))
            if not fresh:
                continue
            scores = yield Command(("ZMSCORE", self.name, *(m for _, m in fresh)))
            missing += [
                item
                for (item, _), score in zip(fresh, scores, strict=True)
                if score is None
            ]
        return missing
