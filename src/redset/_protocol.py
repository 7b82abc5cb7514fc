"""I/O-free description of what an operation sends to Redis.

Each operation is a generator that yields requests (a command to run, or a
pause) and receives each reply through ``send`` or each client exception
through ``throw``. Its return value is the result. The sync and async set
classes only differ in the driver that executes those requests, so the
logic of every operation exists once.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from typing import Any, NamedTuple, TypeVar

__all__ = [
    "Command",
    "Operation",
    "Request",
    "Script",
    "Sleep",
    "error_has_code",
    "eval_script",
    "is_error_reply",
    "load_script",
]

logger = logging.getLogger("redset")

R = TypeVar("R")


# Named tuples rather than frozen dataclasses, because one is made per
# command and a frozen dataclass's __init__ costs several times more.
class Command(NamedTuple):
    """A Redis command and its arguments, run with ``execute_command``."""

    args: tuple[Any, ...]


class Sleep(NamedTuple):
    """A pause between polls, in seconds."""

    seconds: float


Request = Command | Sleep
Operation = Generator[Request, Any, R]


@dataclass(frozen=True)
class Script:
    """A Lua script shipped as a package file, with its SHA1 digest."""

    name: str
    source: str
    sha: str

    @cached_property
    def sha_bytes(self) -> bytes:
        """The digest as the bytes EVALSHA sends, which redis-py packs as is."""
        return self.sha.encode()


def load_script(name: str) -> Script:
    """Read ``scripts/<name>.lua`` from the package."""
    source = (resources.files("redset") / "scripts" / f"{name}.lua").read_text()
    return Script(name, source, hashlib.sha1(source.encode()).hexdigest())


def is_error_reply(error: BaseException) -> bool:
    """Tell whether a client exception is an error reply from the server.

    Matches redis-py's, valkey's and fakeredis' ResponseError by class name,
    so that connection errors and redset's own errors never count.
    """
    return any(cls.__name__ == "ResponseError" for cls in type(error).__mro__)


def error_has_code(error: BaseException, code: str) -> bool:
    """Tell whether a client exception is a Redis error reply with ``code``.

    Checks the message instead of redis-py's exception classes, so the valkey
    client's own classes match too. redis-py strips the NOSCRIPT code from
    the message and raises NoScriptError, so that class name counts as well.
    """
    if code == "NOSCRIPT" and any(
        cls.__name__ == "NoScriptError" for cls in type(error).__mro__
    ):
        return True
    return str(error).startswith(code) or f" {code} " in str(error)


def eval_script(
    script: Script, keys: Sequence[str | bytes], args: Sequence[Any]
) -> Operation[Any]:
    """Run ``script`` by its digest, sending its source once when Redis lacks it.

    EVAL with the source also puts the script in the server's cache, so a
    server that restarted or ran SCRIPT FLUSH costs one extra round trip.
    """
    try:
        return (yield Command(("EVALSHA", script.sha_bytes, len(keys), *keys, *args)))
    except Exception as error:
        if not error_has_code(error, "NOSCRIPT"):
            raise
    logger.debug("Loading Lua script %s (%s)", script.name, script.sha)
    return (yield Command(("EVAL", script.source, len(keys), *keys, *args)))
