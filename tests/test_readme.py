"""Every Python example in README.md runs, against a private server.

The examples call ``redis.Redis()`` as a user would. Here that class is
swapped for one bound to a server this module starts, so nothing reaches a
Redis on the default port.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import redis.asyncio

from servers import RedisServer, find_redis_binaries

README = Path(__file__).resolve().parent.parent / "README.md"
EXAMPLES = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


@pytest.fixture(scope="module")
def server() -> Iterator[RedisServer]:
    binaries = find_redis_binaries()
    if not binaries:
        pytest.fail("no redis-server found; install the dev extras")
    with RedisServer(binaries[-1].path) as private:
        yield private


@pytest.mark.parametrize(
    "code", EXAMPLES, ids=[f"example-{i}" for i in range(len(EXAMPLES))]
)
def test_readme_example_runs(
    code: str, server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    socket_path = server.socket_path

    class PrivateRedis(redis.Redis):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(unix_socket_path=socket_path)

    class PrivateAsyncRedis(redis.asyncio.Redis):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(unix_socket_path=socket_path)

    monkeypatch.setattr(redis, "Redis", PrivateRedis)
    monkeypatch.setattr(redis.asyncio, "Redis", PrivateAsyncRedis)
    with server.client() as control:
        control.flushall()
    exec(compile(code, str(README), "exec"), {"__name__": "readme_example"})


def test_readme_has_examples() -> None:
    assert len(EXAMPLES) >= 2
