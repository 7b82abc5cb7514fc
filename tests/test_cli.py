"""The redset command: inspection commands, connection handling and the demo.

Every test passes --url of the session's private server, except the
embedded-server tests, which point the default address at a free loopback
port where nothing listens.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import io
import os
import re
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest
import redis

from redset import TimeSortedSet
from redset._cli import demo, main
from redset._cli.connection import EmbeddedServer
from redset._cli.graph import find_module_spec, module_imports, walk
from redset._cli.output import format_member, format_score
from redset._leases import lease_keys
from servers import LocalCluster, RedisServer, find_redis_binaries, free_port


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def queue(r: redis.Redis, key: str) -> TimeSortedSet[str]:
    jobs: TimeSortedSet[str] = TimeSortedSet(r, key)
    jobs.add_scored([("a", 1.0), ("b", 2.0), ("c", 3.5)])
    return jobs


def make_dead_letter(r: redis.Redis, queue: TimeSortedSet[str]) -> None:
    """Claim a member that is not UTF-8, which moves it to dead letters.

    The other members are set aside meanwhile, because claim goes on past
    a dead letter to the next member.
    """
    # redis-py types replies as a union over sync and async clients.
    others: list[tuple[bytes, float]] = r.zrange(  # type: ignore[assignment]
        queue.name, 0, -1, withscores=True
    )
    r.delete(queue.name)
    r.zadd(queue.name, {b"\xff\xfe": 0})
    leases = queue.claim(1, lease=30)
    assert leases == []
    assert queue.dead_letter_count() == 1
    if others:
        r.zadd(queue.name, dict(others))


# -- output -------------------------------------------------------------------


def test_format_member_text_and_bytes() -> None:
    assert format_member(b"job:1") == "job:1"
    assert format_member("café".encode()) == "café"
    assert format_member(b"\xff\x00") == r"b'\xff\x00'"
    assert format_member(b"two\nlines") == repr("two\nlines")
    assert format_member(b" padded") == repr(" padded")


def test_format_member_quotes_ambiguous_text() -> None:
    assert format_member(b"") == "''"
    assert format_member(b"two words") == "two words"
    assert format_member(b"trailing ") == repr("trailing ")
    assert format_member("\u00a0nbsp".encode()) == repr("\u00a0nbsp")
    assert format_member(b"'quoted'") == repr("'quoted'")
    assert format_member(b"b'\\xff'") == repr("b'\\xff'")
    assert format_member(b"it's") == "it's"


def test_format_score_whole_and_fraction() -> None:
    assert format_score(3.0) == "3"
    assert format_score(0.5) == "0.5"
    assert format_score(float("inf")) == "inf"


# -- inspection commands ------------------------------------------------------


def test_info_reports_counts_and_memory(
    capsys: pytest.CaptureFixture[str],
    redis_url: str,
    r: redis.Redis,
    key: str,
    queue: TimeSortedSet[str],
) -> None:
    queue.claim(1, lease=30)
    make_dead_letter(r, queue)
    code, out, err = run_cli(capsys, "info", key, "--url", redis_url)
    assert code == 0, err
    fields = dict(re.split(r"\s{2,}", line, maxsplit=1) for line in out.splitlines())
    assert fields["size"] == "2"
    assert fields["due now"] == "2"
    assert fields["in flight"] == "1"
    assert fields["dead letters"] == "1"
    assert fields["lowest score"] == "2"
    assert fields["highest score"] == "3.5"
    assert int(fields[f"bytes in {key}"]) > 0
    assert int(fields["bytes in all keys"]) > int(fields[f"bytes in {key}"])


def test_info_missing_key(
    capsys: pytest.CaptureFixture[str], redis_url: str, key: str
) -> None:
    code, out, _ = run_cli(capsys, "info", key, "--url", redis_url)
    assert code == 0
    assert "0 (no such key)" in out


@pytest.mark.parametrize("position", [0, 1], ids=["set", "leases"])
@pytest.mark.parametrize(
    "argv", [("info",), ("dead",), ("purge", "--yes")], ids=["info", "dead", "purge"]
)
def test_set_key_of_wrong_type(
    capsys: pytest.CaptureFixture[str],
    redis_url: str,
    r: redis.Redis,
    key: str,
    argv: tuple[str, ...],
    position: int,
) -> None:
    wrong = lease_keys(key)[position]
    r.set(wrong, "text")
    code, out, err = run_cli(capsys, argv[0], key, *argv[1:], "--url", redis_url)
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1
    assert f"Redis key {wrong!r} holds a string" in err
    assert r.get(wrong) == b"text"


@pytest.mark.parametrize("command", ["info", "dead"])
def test_inspection_leaves_expired_lease(
    capsys: pytest.CaptureFixture[str],
    redis_url: str,
    r: redis.Redis,
    key: str,
    command: str,
) -> None:
    app: TimeSortedSet[str] = TimeSortedSet(r, key, max_attempts=1)
    app.add_scored([("a", 1.0), ("b", 2.0)])
    assert [lease.item for lease in app.claim(lease=0.05)] == ["a"]
    app.add("a", 1.0)  # waiting again while in flight
    time.sleep(0.1)
    code, out, err = run_cli(capsys, command, key, "--url", redis_url)
    assert code == 0, err
    if command == "info":
        fields = dict(
            re.split(r"\s{2,}", line, maxsplit=1) for line in out.splitlines()
        )
        assert fields["size"] == "2"
        assert fields["due now"] == "1"
        assert fields["in flight"] == "1"
        assert fields["past deadline"] == "1"
        assert fields["dead letters"] == "0"
    # The expired lease is still there for the application, whose
    # max_attempts sends "a" to dead letters after one delivery.
    assert r.zcard(lease_keys(key)[1]) == 1
    assert app.dead_letter_count() == 1


def test_peek_shows_members_in_order(
    capsys: pytest.CaptureFixture[str],
    redis_url: str,
    r: redis.Redis,
    key: str,
    queue: TimeSortedSet[str],
) -> None:
    r.zadd(key, {b"\x80raw": 0})
    code, out, _ = run_cli(capsys, "--url", redis_url, "peek", key, "-n", "3")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["#", "score", "member"]
    assert lines[1].split() == ["0", "0", r"b'\x80raw'"]
    assert lines[2].split() == ["1", "1", "a"]
    assert lines[3].split() == ["2", "2", "b"]
    assert len(lines) == 4
    assert len(queue) == 4


def test_peek_shows_empty_member_quoted(
    capsys: pytest.CaptureFixture[str], redis_url: str, r: redis.Redis, key: str
) -> None:
    r.zadd(key, {b"": 1, b"two words": 2})
    code, out, err = run_cli(capsys, "peek", key, "--url", redis_url)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[1].split(maxsplit=2) == ["0", "1", "''"]
    assert lines[2].split(maxsplit=2) == ["1", "2", "two words"]


def test_peek_empty_set(
    capsys: pytest.CaptureFixture[str], redis_url: str, key: str
) -> None:
    code, out, _ = run_cli(capsys, "peek", key, "--url", redis_url)
    assert code == 0
    assert "is empty" in out


def test_dead_lists_dead_letters(
    capsys: pytest.CaptureFixture[str],
    redis_url: str,
    r: redis.Redis,
    key: str,
    queue: TimeSortedSet[str],
) -> None:
    make_dead_letter(r, queue)
    code, out, _ = run_cli(capsys, "dead", key, "--url", redis_url)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["score", "attempts", "reason", "member"]
    assert lines[1].split()[2:] == ["undecodable", r"b'\xff\xfe'"]
    assert len(lines) == 2


def test_requeue_moves_dead_letters_back(
    capsys: pytest.CaptureFixture[str],
    redis_url: str,
    r: redis.Redis,
    key: str,
    queue: TimeSortedSet[str],
) -> None:
    make_dead_letter(r, queue)
    code, out, _ = run_cli(capsys, "requeue", key, "--url", redis_url)
    assert code == 0
    assert "moved 1 dead letter back" in out
    assert queue.dead_letter_count() == 0
    assert r.zscore(key, b"\xff\xfe") is not None


def test_purge_with_yes_deletes(
    capsys: pytest.CaptureFixture[str],
    redis_url: str,
    r: redis.Redis,
    key: str,
    queue: TimeSortedSet[str],
) -> None:
    make_dead_letter(r, queue)
    code, out, _ = run_cli(capsys, "purge", key, "--yes", "--url", redis_url)
    assert code == 0
    assert "deleted 1 dead letter" in out
    assert queue.dead_letter_count() == 0
    assert len(queue) == 3


def test_purge_without_terminal_rejects(
    capsys: pytest.CaptureFixture[str],
    redis_url: str,
    r: redis.Redis,
    key: str,
    queue: TimeSortedSet[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_dead_letter(r, queue)
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))
    code, out, err = run_cli(capsys, "purge", key, "--url", redis_url)
    assert code == 1
    assert out == ""
    assert "pass --yes" in err
    assert err.count("\n") == 1
    assert queue.dead_letter_count() == 1


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("answer", "expected_code", "left"), [("y\n", 0, 0), ("n\n", 1, 1)]
)
def test_purge_asks_on_terminal(
    capsys: pytest.CaptureFixture[str],
    redis_url: str,
    r: redis.Redis,
    key: str,
    queue: TimeSortedSet[str],
    monkeypatch: pytest.MonkeyPatch,
    answer: str,
    expected_code: int,
    left: int,
) -> None:
    make_dead_letter(r, queue)
    monkeypatch.setattr(sys, "stdin", FakeTerminal(answer))
    code, _, err = run_cli(capsys, "purge", key, "--url", redis_url)
    assert code == expected_code
    assert "Delete 1 dead letter" in err
    assert queue.dead_letter_count() == left


class InterruptedTerminal(FakeTerminal):
    """A terminal where the user presses Ctrl-C at the prompt."""

    def readline(self, size: int | None = -1, /) -> NoReturn:
        raise KeyboardInterrupt


@pytest.mark.parametrize(
    ("stderr_class", "expected"),
    [
        (FakeTerminal, "[y/N] \nredset: interrupted\n"),
        (io.StringIO, "[y/N] redset: interrupted\n"),
    ],
    ids=["terminal", "file"],
)
def test_interrupted_prompt_message_line(
    redis_url: str,
    r: redis.Redis,
    key: str,
    queue: TimeSortedSet[str],
    monkeypatch: pytest.MonkeyPatch,
    stderr_class: type[io.StringIO],
    expected: str,
) -> None:
    make_dead_letter(r, queue)
    stderr = stderr_class()
    monkeypatch.setattr(sys, "stdin", InterruptedTerminal())
    monkeypatch.setattr(sys, "stderr", stderr)
    code = main(["purge", key, "--url", redis_url])
    assert code == 130
    assert stderr.getvalue().endswith(expected), stderr.getvalue()
    assert queue.dead_letter_count() == 1


# -- connection -----------------------------------------------------------------


def test_closed_port_is_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    code, out, err = run_cli(capsys, "info", "jobs", "--url", url)
    assert code == 1
    assert out == ""
    assert err.startswith("redset: error: cannot reach Redis at ")
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_invalid_url_is_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "info", "jobs", "--url", "http://127.0.0.1:1")
    assert code == 1
    assert err.startswith("redset: error: invalid Redis URL")
    assert err.count("\n") == 1


def test_password_is_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"redis://user:secret@127.0.0.1:{free_port()}/0"
    code, _, err = run_cli(capsys, "info", "jobs", "--url", url)
    assert code == 1
    assert "secret" not in err
    assert "user:***@" in err


def with_query(url: str, option: str) -> str:
    return url + ("&" if "?" in url else "?") + option


@pytest.mark.parametrize("url_first", [False, True], ids=["after", "before"])
def test_empty_url_is_usage_error(
    capsys: pytest.CaptureFixture[str], url_first: bool
) -> None:
    argv = ["--url", "", "info", "jobs"] if url_first else ["info", "jobs", "--url", ""]
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.splitlines()[-1].endswith(
        "error: argument --url: expected a Redis URL, got an empty value"
    )


@pytest.fixture
def default_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A server on a free loopback port that tests pass as the default address."""
    binary = find_redis_binaries()[0].path
    server = RedisServer(binary, port=free_port(), directory=tmp_path).start()
    try:
        yield server
    finally:
        # kill(), not stop(), because nothing on this server needs saving.
        server.kill()


def test_empty_redis_url_is_error(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    default_server: RedisServer,
) -> None:
    # An empty REDIS_URL must not fall back to the server on the default
    # address, which this test provides.
    monkeypatch.setenv("REDIS_URL", "")
    default_server.client().zadd("jobs", {"a": 1})
    code = main(["peek", "jobs"], default_address=("127.0.0.1", default_server.port))
    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == ""
    assert captured.err == (
        "redset: error: REDIS_URL is set but empty: give a URL or unset it\n"
    )


@pytest.mark.parametrize("name", ["password", "p%61ssword", "ssl_password"])
def test_query_password_is_redacted(
    capsys: pytest.CaptureFixture[str], name: str
) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0?db=0&{name}=secret"
    code, _, err = run_cli(capsys, "info", "jobs", "--url", url)
    assert code == 1
    assert "secret" not in err
    assert f"{name}=***" in err


@pytest.mark.parametrize(
    "url",
    [
        "redis://user:top#secret@127.0.0.1:1/0",
        "redis://user:top?secret@127.0.0.1:1/0",
        "unix://user:top/secret@/nowhere/redis.sock",
    ],
)
def test_password_with_delimiter_is_redacted(
    capsys: pytest.CaptureFixture[str], url: str
) -> None:
    # An unescaped "#", "?" or "/" ends the user part early for urlsplit,
    # and redis-py's errors quote pieces of such a password.
    code, _, err = run_cli(capsys, "info", "jobs", "--url", url)
    assert code == 1
    assert "top" not in err
    assert "secret" not in err
    assert "percent-encode a '#', '/' or '?' in the password" in err
    assert err.count("\n") == 1


def test_unparsable_url_is_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "info", "jobs", "--url", "redis://user:pw@[::1")
    assert code == 1
    assert err.startswith("redset: error: invalid Redis URL 'redis://user:***@[::1'")
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("option", "start"),
    [
        ("socket_timeout=-1", "invalid Redis URL "),
        ("db=100000", "Redis at "),
    ],
    ids=["socket-timeout", "database"],
)
def test_url_option_out_of_range(
    capsys: pytest.CaptureFixture[str], redis_url: str, option: str, start: str
) -> None:
    # A negative timeout fails in the client; a database number out of
    # range is refused by the server, which was reached.
    code, _, err = run_cli(
        capsys, "info", "jobs", "--url", with_query(redis_url, option)
    )
    assert code == 1
    assert err.startswith(f"redset: error: {start}")
    assert err.count("\n") == 1
    if option.startswith("db="):
        assert "refused the connection: " in err


def test_decode_responses_in_url_is_error(
    capsys: pytest.CaptureFixture[str], redis_url: str
) -> None:
    url = with_query(redis_url, "decode_responses=true")
    code, out, err = run_cli(capsys, "dead", "jobs", "--url", url)
    assert code == 1
    assert out == ""
    assert err.endswith("so remove decode_responses from the URL\n")
    assert err.count("\n") == 1


def test_redis_url_environment_variable(
    capsys: pytest.CaptureFixture[str],
    redis_url: str,
    key: str,
    queue: TimeSortedSet[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    code, out, _ = run_cli(capsys, "peek", key, "-n", "1")
    assert code == 0
    assert out.splitlines()[1].split() == ["0", "1", "a"]


@pytest.mark.parametrize("command", ["info", "peek", "dead", "requeue", "purge"])
def test_subcommand_help_has_description(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    code, out, _ = run_cli(capsys, command, "--help")
    assert code == 0
    # argparse prints the description between the usage and the arguments.
    description = out.split("\n\n")[1]
    assert not description.startswith("positional arguments"), out


def test_dead_help_names_both_reasons(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run_cli(capsys, "dead", "--help")
    text = " ".join(out.split())
    assert "max_attempts" in text
    assert "undecodable" in text
    assert "no longer decodes" in text


@pytest.mark.parametrize("command", ["info", "peek"])
def test_help_explains_expiring_set_scores(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    _, out, _ = run_cli(capsys, command, "--help")
    text = " ".join(out.split())
    assert "For an ExpiringSet the scores are expiry times" in text
    assert "cannot tell the set's class" in text


def test_version_option(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "--version")
    assert code == 0
    assert out == f"redset {importlib.metadata.version('redset')}\n"
    assert err == ""


def test_usage_error_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "peek", "jobs", "-n", "0")
    assert code == 2
    assert "expected 1 or more" in err


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_embedded_server_started_and_stopped(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    nowhere = ("127.0.0.1", free_port())
    code = main(["info", "jobs"], default_address=nowhere)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "size" in captured.out
    match = re.search(
        r"started an embedded redis-server \(pid (\d+)\) at unix://(\S+) for this "
        r"run; it starts empty\n",
        captured.err,
    )
    assert match is not None, captured.err
    pid, socket_path = int(match[1]), Path(match[2])
    assert not process_exists(pid)
    assert not socket_path.parent.exists()


def test_cluster_node_is_one_line_error(
    capsys: pytest.CaptureFixture[str], redis_cluster: LocalCluster
) -> None:
    url = f"redis://127.0.0.1:{redis_cluster.startup_port}/0"
    code, out, err = run_cli(capsys, "info", "jobs", "--url", url)
    assert code == 1
    assert out == ""
    assert err == (
        f"redset: error: {url} is a Redis Cluster node, and the command works "
        "with a single Redis server only\n"
    )


def test_embedded_server_has_own_session() -> None:
    # Ctrl-C at a terminal signals its foreground process group. The server
    # must outlive it, because the command still cleans up its keys there.
    server = EmbeddedServer()
    server.start()
    try:
        assert server.pid is not None
        assert os.getsid(server.pid) == server.pid
        assert os.getpgid(server.pid) != os.getpgid(0)
    finally:
        server.stop()
    assert not server.directory.exists()


def test_embedded_server_with_long_tmpdir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    long_directory = tmp_path / ("d" * 100)
    long_directory.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(long_directory))
    server = EmbeddedServer()
    server.start()
    try:
        assert len(os.fsencode(server.socket_path)) <= 107
        with redis.Redis(unix_socket_path=server.socket_path) as client:
            assert client.ping()
    finally:
        server.stop()
    assert not server.directory.exists()
    assert list(long_directory.iterdir()) == []


def test_server_on_default_address_is_used(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    default_server: RedisServer,
) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    default_server.client().zadd("jobs", {"a": 1})
    code = main(["peek", "jobs"], default_address=("127.0.0.1", default_server.port))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.err == (
        "redset: no --url or REDIS_URL given: using the Redis at "
        f"127.0.0.1:{default_server.port}\n"
    )
    assert captured.out.splitlines()[1].split() == ["0", "1", "a"]


def test_embedded_server_stopped_after_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    nowhere = ("127.0.0.1", free_port())
    code = main(["demo", "--seed", "no_such_module_here"], default_address=nowhere)
    err = capsys.readouterr().err
    assert code == 1
    assert "'no_such_module_here' is not found" in err
    match = re.search(r"\(pid (\d+)\)", err)
    assert match is not None
    assert not process_exists(int(match[1]))


def test_demo_embedded_skips_default_server(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    default_server: RedisServer,
) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    code = main(
        ["demo", "--embedded", "--seed", "no_such_module_here"],
        default_address=("127.0.0.1", default_server.port),
    )
    keys = default_server.client().keys()
    err = capsys.readouterr().err
    assert code == 1
    assert "--embedded given: started an embedded redis-server" in err
    assert keys == []


@pytest.mark.parametrize("url_first", [False, True], ids=["after", "before"])
def test_demo_embedded_with_url_is_usage_error(
    capsys: pytest.CaptureFixture[str], redis_url: str, url_first: bool
) -> None:
    argv = ["demo", "--embedded", "--url", redis_url]
    if url_first:
        argv = ["--url", redis_url, "demo", "--embedded"]
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.startswith("usage: redset demo ")
    assert err.splitlines()[-1] == (
        "redset demo: error: --embedded cannot be used with --url: pass one of them"
    )
    assert "embedded redis-server" not in err
    assert "Traceback" not in err


def test_module_runs_as_subprocess(
    redis_url: str, key: str, queue: TimeSortedSet[str]
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "redset", "--url", redis_url, "peek", key, "-n", "2"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert [line.split()[-1] for line in result.stdout.splitlines()] == [
        "member",
        "a",
        "b",
    ]


def test_subprocess_error_has_no_traceback() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    result = subprocess.run(
        [sys.executable, "-m", "redset", "info", "jobs", "--url", url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


# -- the import graph -------------------------------------------------------------


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A package on sys.path that must never be imported, with relative imports."""
    name = f"graph_{uuid.uuid4().hex[:8]}"
    root = tmp_path / name
    (root / "sub").mkdir(parents=True)
    files = {
        "__init__.py": """
            from . import a
            raise RuntimeError("the crawl must not import this package")
        """,
        "a.py": f"""
            from .b import thing
            from {name}.sub import c
            import colorsys
        """,
        "b.py": """
            def later():
                from .sub.c import value
            from ... import beyond_the_top
        """,
        "sub/__init__.py": "",
        "sub/c.py": "from .. import a\nfrom . import *\n",
        "broken.py": "def (:\n",
    }
    for path, source in files.items():
        (root / path).write_text(textwrap.dedent(source))
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    find_module_spec.cache_clear()
    return name


def test_module_imports_resolves_relative(package: str) -> None:
    assert module_imports(package) == [f"{package}.a"]
    assert module_imports(f"{package}.a") == [
        "colorsys",
        f"{package}.b",
        f"{package}.sub",
        f"{package}.sub.c",
    ]
    assert module_imports(f"{package}.b") == [f"{package}.sub.c"]
    assert module_imports(f"{package}.sub.c") == [
        package,
        f"{package}.a",
        f"{package}.sub",
    ]


def test_module_imports_without_source(package: str) -> None:
    assert module_imports("sys") == []
    assert module_imports(f"{package}.broken") == []
    assert module_imports(f"{package}.missing") == []


def test_walk_never_imports(package: str) -> None:
    found = walk([package])
    assert found == {
        package,
        f"{package}.a",
        f"{package}.b",
        f"{package}.sub",
        f"{package}.sub.c",
        "colorsys",
    }
    assert package not in sys.modules


# -- the demo -----------------------------------------------------------------------


@pytest.fixture
def fan_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A package of 40 modules where each imports two more and the first."""
    name = f"fan_{uuid.uuid4().hex[:8]}"
    root = tmp_path / name
    root.mkdir()
    (root / "__init__.py").write_text("from . import m0\n")
    count = 40
    for i in range(count):
        lines = ["from . import m0"]
        lines += [f"from . import m{j}" for j in (2 * i + 1, 2 * i + 2) if j < count]
        (root / f"m{i}.py").write_text("\n".join(lines) + "\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    find_module_spec.cache_clear()
    return name


def summary_fields(out: str) -> dict[str, str]:
    return dict(re.split(r"\s{2,}", line, maxsplit=1) for line in out.splitlines())


def test_demo_matches_single_process_walk(
    capsys: pytest.CaptureFixture[str], redis_url: str, r: redis.Redis, fan_out: str
) -> None:
    code, out, err = run_cli(
        capsys, "demo", "--url", redis_url, "--workers", "2", "--seed", fan_out
    )
    assert code == 0, out + err
    fields = summary_fields(out)
    assert fields["modules crawled"] == "41"
    assert fields["single-process walk"].startswith("41 modules")
    assert fields["matches the walk"] == "yes"
    assert fields["modules processed twice"] == "0"
    assert fields["worker killed"] == "none"
    assert int(fields["duplicate adds absorbed"]) >= 39
    crawl_seconds = float(fields["crawl time"].removesuffix(" s"))
    run_seconds = float(
        fields["crawl time with worker start-up and shut-down"].removesuffix(" s")
    )
    assert run_seconds >= crawl_seconds
    assert list(r.scan_iter(match="redset-demo:*")) == []


def test_demo_one_module_is_singular(
    capsys: pytest.CaptureFixture[str], redis_url: str
) -> None:
    # sys is built in, so it has no source to parse and imports nothing.
    code, out, err = run_cli(
        capsys, "demo", "--url", redis_url, "--workers", "1", "--seed", "sys"
    )
    assert code == 0, out + err
    fields = summary_fields(out)
    assert fields["modules crawled"] == "1"
    assert fields["single-process walk"].startswith("1 module in ")


@pytest.mark.slow
def test_demo_kill_one_reprocesses_module(
    capsys: pytest.CaptureFixture[str], redis_url: str, r: redis.Redis, fan_out: str
) -> None:
    code, out, err = run_cli(
        capsys,
        "demo",
        "--url",
        redis_url,
        "--workers",
        "2",
        "--seed",
        fan_out,
        "--kill-one",
    )
    assert code == 0, out + err
    fields = summary_fields(out)
    match = re.fullmatch(
        r"worker \d, holding the lease on (\S+)", fields["worker killed"]
    )
    assert match is not None, fields["worker killed"]
    assert fields["modules processed twice"] == f"1 ({match[1]})"
    assert fields["modules crawled"] == "41"
    assert fields["matches the walk"] == "yes"
    assert fields["left in flight"] == "0"
    assert list(r.scan_iter(match="redset-demo:*")) == []


def spawned_children(parent: int) -> list[int]:
    """Return the pids of multiprocessing's spawned children of ``parent``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:  # the process has exited
            continue
        # The parent pid is the second field after the parenthesized name.
        ppid = int(stat.rpartition(")")[2].split()[1])
        if ppid == parent and b"spawn_main" in command:
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
@pytest.mark.parametrize("delay", [0.0, 0.2])
def test_demo_ctrl_c_while_workers_start(
    redis_url: str, r: redis.Redis, delay: float
) -> None:
    # Ctrl-C at a terminal signals the whole process group. Sent within
    # 0.2 s of the workers' start, it arrives while they import modules,
    # before run_worker can set their signal handling.
    command = [sys.executable, "-m", "redset", "--url", redis_url]
    command += ["demo", "--workers", "2"]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        give_up = time.monotonic() + 30
        while len(spawned_children(process.pid)) < 2:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < give_up, "the worker processes did not start"
            time.sleep(0.002)
        time.sleep(delay)
        os.killpg(process.pid, signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    assert process.returncode == 130, err
    assert out == ""
    assert err.splitlines() == ["redset: interrupted"]
    assert spawned_children(process.pid) == []
    assert list(r.scan_iter(match="redset-demo:*")) == []


def test_demo_kill_one_needs_two_workers(
    capsys: pytest.CaptureFixture[str], redis_url: str
) -> None:
    code, out, err = run_cli(
        capsys, "demo", "--url", redis_url, "--workers", "1", "--kill-one"
    )
    assert code == 2
    assert out == ""
    assert err.startswith("usage: redset demo ")
    last_line = err.splitlines()[-1]
    assert last_line.startswith("redset demo: error: --kill-one needs --workers 2")
    assert "Traceback" not in err


def test_heartbeat_keeps_lease_alive(
    r: redis.Redis, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "LEASE_SECONDS", 0.3)
    frontier: TimeSortedSet[str] = TimeSortedSet(r, key)
    frontier.add("slow.module")
    [lease] = frontier.claim(1, lease=0.3)
    with demo._heartbeat(frontier, lease):
        time.sleep(1.0)  # three lease lengths
        assert frontier.claim(1, lease=0.3) == []
    assert frontier.ack(lease)
    assert frontier.in_flight() == 0


def test_namespace_package_without_parent_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Reading a namespace package's search path looks its parent up in
    # sys.modules; the walk imports no parent, so that lookup fails.
    package = tmp_path / "nsparent"
    (package / "spaced").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "spaced" / "leaf.py").write_text("import json\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    find_module_spec.cache_clear()
    try:
        assert find_module_spec("nsparent.spaced.leaf") is None
        assert "nsparent" not in sys.modules
    finally:
        find_module_spec.cache_clear()


def test_walk_of_default_seeds_finishes() -> None:
    modules = walk(demo.DEFAULT_SEEDS)
    assert "json.decoder" in modules
    assert "email.message" in modules
