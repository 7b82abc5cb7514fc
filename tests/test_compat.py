"""Clients other than redis-py's own, and the server version check.

The valkey client runs against the session's real servers. fakeredis shows
how an application unit-tests its own code that uses redset; redset's own
behaviour is tested on real servers only.
"""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from typing import Any

import fakeredis
import pytest
import redis
import valkey
import valkey.cluster

import redset
import redset.asyncio
from clocks import FakeClock
from redset import (
    EmptyError,
    ScheduledSet,
    SortedSet,
    TimeSortedSet,
    UnsupportedServerError,
)
from servers import LocalCluster


def exercise_sets(client: object, key: str) -> None:
    """Run each kind of set through its main operations on ``client``."""
    s = SortedSet(client, key)
    assert s.add_scored([("b", 2), ("a", 1), ("c", 3)]) == 3
    assert s.add("a", 5) is False
    assert s.pop() == "b"
    assert s.take(5) == ["c", "a"]
    with pytest.raises(EmptyError):
        s.pop(timeout=0.05)

    fifo = TimeSortedSet(client, f"{key}:fifo")
    fifo.update(["first", "second"])
    assert fifo.add("first") is False
    assert list(fifo) == ["first", "second"]

    clock = FakeClock(1000.0)
    scheduled = ScheduledSet(client, f"{key}:scheduled", clock=clock)
    scheduled.add("later", delay=60)
    scheduled.add("now")
    assert scheduled.available() == 1
    assert scheduled.take(5) == ["now"]
    with pytest.raises(EmptyError):
        scheduled.pop(timeout=0.05)
    clock.now = 1060.0
    assert scheduled.pop(timeout=0.05) == "later"

    # Without clock=, due times come from the server's TIME.
    server_clock = ScheduledSet(client, f"{key}:server-clock")
    server_clock.add("due")
    server_clock.add("tomorrow", delay=86400)
    assert server_clock.take(5) == ["due"]
    assert len(server_clock) == 1


def test_valkey_client(redis_url: str, key: str) -> None:
    # valkey's methods are untyped, so the client is typed as Any.
    client: Any = valkey.Valkey.from_url(redis_url)
    try:
        exercise_sets(client, key)
    finally:
        client.delete(key, f"{key}:fifo", f"{key}:scheduled", f"{key}:server-clock")
        client.close()


def test_valkey_cluster_client(redis_cluster: LocalCluster, key: str) -> None:
    client: Any = valkey.cluster.ValkeyCluster(
        host="127.0.0.1", port=redis_cluster.startup_port
    )
    try:
        exercise_sets(client, key)
    finally:
        client.delete(key, f"{key}:fifo", f"{key}:scheduled", f"{key}:server-clock")
        client.close()


def test_fakeredis_for_unit_tests(key: str) -> None:
    client = fakeredis.FakeRedis()
    # fakeredis has no INFO, so the server version check is skipped.
    with pytest.raises(redis.ResponseError, match="info"):
        client.info("server")
    exercise_sets(client, key)


async def test_fakeredis_asyncio(key: str) -> None:
    client = fakeredis.FakeAsyncRedis()
    s = redset.asyncio.ScheduledSet(client, key, clock=FakeClock(50.0))
    await s.add("job", delay=10)
    with pytest.raises(EmptyError):
        await s.pop(timeout=0.05)
    await s.add("urgent")
    assert await s.pop(timeout=0.05) == "urgent"
    assert await s.count() == 1


class _OldServerHandler(socketserver.StreamRequestHandler):
    """Speaks just enough RESP to pass for Redis 6.0.9, recording commands."""

    server: _OldServer

    def handle(self) -> None:
        while True:
            command = self._read_command()
            if command is None:
                return
            self.server.commands.append(command)
            self.wfile.write(self._reply(command))

    def _read_command(self) -> list[bytes] | None:
        header = self.rfile.readline()
        if not header:
            return None
        assert header.startswith(b"*"), header
        arguments = []
        for _ in range(int(header[1:])):
            length = int(self.rfile.readline()[1:])
            arguments.append(self.rfile.read(length + 2)[:-2])
        return arguments

    @staticmethod
    def _reply(command: list[bytes]) -> bytes:
        name = command[0].upper()
        if name == b"HELLO":
            fields = [
                b"$6\r\nserver\r\n$5\r\nredis\r\n",
                b"$7\r\nversion\r\n$5\r\n6.0.9\r\n",
                b"$5\r\nproto\r\n:3\r\n",
                b"$2\r\nid\r\n:1\r\n",
                b"$4\r\nmode\r\n$10\r\nstandalone\r\n",
                b"$4\r\nrole\r\n$6\r\nmaster\r\n",
                b"$7\r\nmodules\r\n*0\r\n",
            ]
            return b"%7\r\n" + b"".join(fields)
        if name == b"CLIENT":
            return b"+OK\r\n"
        if name == b"INFO":
            body = b"# Server\r\nredis_version:6.0.9\r\nredis_mode:standalone\r\n"
            return b"$%d\r\n%s\r\n" % (len(body), body)
        return b"-ERR this test server only answers the handshake and INFO\r\n"


class _OldServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _OldServerHandler)
        self.commands: list[list[bytes]] = []

    @property
    def port(self) -> int:
        port: int = self.server_address[1]
        return port


@pytest.fixture
def old_server() -> Iterator[_OldServer]:
    server = _OldServer()
    # A short poll interval lets shutdown() return quickly.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_old_server_rejected_before_writing(old_server: _OldServer) -> None:
    client = redis.Redis(host="127.0.0.1", port=old_server.port, socket_timeout=5)
    s = SortedSet(client, "jobs")
    with pytest.raises(UnsupportedServerError) as caught:
        s.add("a")
    assert caught.value.version == "6.0.9"
    assert caught.value.required == "6.2"
    assert isinstance(caught.value, RuntimeError)
    names = [command[0].upper() for command in old_server.commands]
    assert b"INFO" in names
    assert names[-1] == b"INFO"
    assert not {b"ZADD", b"EVAL", b"EVALSHA"} & set(names)
    client.close()


async def test_old_server_rejected_asyncio(old_server: _OldServer) -> None:
    client = redis.asyncio.Redis(host="127.0.0.1", port=old_server.port)
    s = redset.asyncio.ScheduledSet(client, "jobs")
    with pytest.raises(UnsupportedServerError):
        await s.add("a", delay=5)
    with pytest.raises(UnsupportedServerError):
        await s.pop()
    names = {command[0].upper() for command in old_server.commands}
    assert not {b"ZADD", b"EVAL", b"EVALSHA"} & names
    await client.aclose()
