"""Faults between and during operations, each on a server the test owns.

Killing, restarting or flushing the session's shared servers would disturb
other tests, so every test here starts its own redis-server.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from redset import EmptyError, ScheduledSet, SortedSet
from redset._core import ADD_DELAYED
from servers import LocalCluster, RedisServer, find_redis_binaries

BINARIES = find_redis_binaries()
if not BINARIES:
    pytest.skip(
        "the fault tests start their own redis-server, and none was found",
        allow_module_level=True,
    )
NEWEST_BINARY = BINARIES[-1]

# appendfsync always: a write the server acknowledged is on disk before the
# kill, so a restart shows exactly what was applied.
PERSISTENT = ("--appendonly", "yes", "--appendfsync", "always")


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A server whose files live in the test's tmp_path, so it can restart."""
    server = RedisServer(NEWEST_BINARY.path, directory=tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def persistent_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(NEWEST_BINARY.path, directory=tmp_path, extra_args=PERSISTENT)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_script_flush_between_operations(own_server: RedisServer) -> None:
    client = own_server.client()
    s = ScheduledSet(client, "jobs")
    s.add("first", delay=0)
    client.script_flush()
    s.add("second", delay=0)
    client.script_flush()
    assert s.available() == 2
    client.script_flush()
    assert s.take(5) == ["first", "second"]
    client.close()


def test_script_flush_on_cluster(redis_cluster: LocalCluster, key: str) -> None:
    client = redis_cluster.client()
    try:
        s = ScheduledSet(client, key)
        s.add("job", delay=0)
        # redis-py sends SCRIPT FLUSH to every primary.
        client.script_flush()
        assert client.script_exists(ADD_DELAYED.sha) == [False]
        assert s.pop() == "job"
    finally:
        client.delete(key)
        client.close()


def test_server_restart_between_operations(own_server: RedisServer) -> None:
    client = own_server.client()
    s = ScheduledSet(client, "jobs")
    s.add("before")
    assert s.pop() == "before"

    own_server.kill()
    own_server.start()

    # redis-py's default retry reconnects, and the new server's empty
    # script cache costs one EVAL.
    with pytest.raises(EmptyError):
        s.pop()
    s.add("after")
    assert s.available() == 1
    assert s.pop() == "after"
    client.close()


def _wait_for_blocked_client(control: redis.Redis) -> None:
    deadline = time.monotonic() + 5
    while int(control.info("clients")["blocked_clients"]) == 0:
        assert time.monotonic() < deadline, "the pop never blocked on the server"
        time.sleep(0.01)


class Background:
    """A call running in a thread, keeping the exception it raised."""

    def __init__(self, call: Callable[[], object]) -> None:
        self.error: BaseException | None = None
        self._call = call
        self._thread = threading.Thread(target=self._run)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._call()
        except BaseException as error:
            self.error = error

    def join(self, timeout: float) -> BaseException | None:
        """Wait for the call to end and return what it raised, if anything."""
        self._thread.join(timeout)
        assert not self._thread.is_alive(), f"the call ran past {timeout} s"
        return self.error


def _no_retry_client(server: RedisServer) -> redis.Redis:
    # Without retries the error arrives at once; redis-py's default policy
    # retries the connection first (4.6 s measured with redis-py 8.2).
    return server.client(retry=Retry(NoBackoff(), 0))


def test_killed_server_loses_nothing(persistent_server: RedisServer) -> None:
    client = _no_retry_client(persistent_server)
    queue = SortedSet(client, "queue")
    waiting = [f"item-{i:03d}" for i in range(100)]
    queue.add_scored((item, i) for i, item in enumerate(waiting))
    scheduled = ScheduledSet(client, "scheduled")
    # Due in 2033, so no pop below can take them.
    scheduled.add_scored((f"later-{i}", 2e9 + i) for i in range(10))
    scores_before = dict(scheduled.items())

    # A consumer blocks on an empty set, and the server dies under it.
    empty = SortedSet(_no_retry_client(persistent_server), "empty")
    consumer = Background(lambda: empty.pop(timeout=30))
    _wait_for_blocked_client(client)
    persistent_server.kill()
    assert type(consumer.join(timeout=10)) is redis.ConnectionError

    # Operations while the server is down raise the client's own error.
    with pytest.raises(redis.ConnectionError):
        queue.add("lost")
    with pytest.raises(redis.ConnectionError):
        scheduled.pop()

    persistent_server.start()
    assert list(queue) == waiting
    assert queue.add("item-000") is False
    assert "lost" not in queue
    assert dict(scheduled.items()) == scores_before
    assert queue.take(100) == waiting
    assert len(queue) == 0
    client.close()


def test_killed_during_scheduled_poll(persistent_server: RedisServer) -> None:
    client = _no_retry_client(persistent_server)
    s = ScheduledSet(client, "jobs")
    s.add("tomorrow", delay=86400)
    scores_before = dict(s.items())
    poller = Background(lambda: s.pop(timeout=30))
    time.sleep(0.2)
    persistent_server.kill()
    assert isinstance(poller.join(timeout=10), redis.ConnectionError)

    persistent_server.start()
    assert dict(s.items()) == scores_before
    s.add("now")
    assert s.pop() == "now"
    assert len(s) == 1
    client.close()


def test_killed_during_large_add(persistent_server: RedisServer) -> None:
    client = _no_retry_client(persistent_server)
    s = SortedSet(client, "batch")
    batch = [(f"member-{i:06d}", float(i)) for i in range(100_000)]
    producer = Background(lambda: s.add_scored(batch))
    time.sleep(0.05)
    persistent_server.kill()
    error = producer.join(timeout=30)

    # One ZADD is atomic: after the restart the batch is all there, or,
    # when the kill came first, not there at all and add_scored raised.
    persistent_server.start()
    count = len(s)
    assert count in (0, len(batch))
    if count == 0:
        assert isinstance(error, redis.ConnectionError)
    else:
        assert s.peek() == "member-000000"
    client.close()


def test_skewed_local_clock_uses_server_time(
    own_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = own_server.client()
    producer = ScheduledSet(client, "jobs")
    producer.add("in ten minutes", delay=600)
    producer.add("due")

    # This process's clock runs an hour ahead of the server's.
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 3600)

    consumer = ScheduledSet(client, "jobs")
    assert consumer.available() == 1
    assert consumer.take(5) == ["due"]
    with pytest.raises(EmptyError):
        consumer.pop(timeout=0.1)

    # A set given clock=time.time does see the item as due: the server
    # clock is what protects consumers from this skew.
    local_clock = ScheduledSet(client, "jobs", clock=time.time)
    assert local_clock.available() == 1
    client.close()
