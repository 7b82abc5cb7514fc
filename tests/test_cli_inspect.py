"""The inspection commands on unusual input: corrupt values, odd names, races.

Tests that need Redis pass --url of one of the session's private servers, or
call a command function with a client of one of them. None runs on the cluster.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Callable

import pytest
import redis

from redset._cli import commands
from redset._cli.connection import CommandError
from redset._cli.output import format_score, format_text
from redset._leases import lease_keys, parse_dead_info
from redset.errors import WrongTypeError
from servers import RedisServer, find_redis_binaries
from test_cli import FakeTerminal, run_cli

SET_COMMANDS = [
    ("info",),
    ("peek",),
    ("dead",),
    ("requeue",),
    ("purge", "--yes"),
]
SET_COMMAND_IDS = [argv[0] for argv in SET_COMMANDS]


def table_rows(out: str) -> list[list[str]]:
    """Split a table into cells, at runs of two or more spaces."""
    return [re.split(r" {2,}", line) for line in out.splitlines()]


def add_dead_letter(r: redis.Redis, name: str, member: bytes, info: bytes) -> None:
    keys = lease_keys(name)
    r.zadd(keys[4], {member: 1})
    r.hset(keys[5], member, info)


# -- dead-info values written by another client --------------------------------


@pytest.mark.parametrize(
    ("info", "attempts", "reason"),
    [
        (b"abc", 0, "abc"),
        (b"", 0, ""),
        (b"1.5 x", 0, "1.5 x"),
        (b" ", 0, " "),
        (b"-3 weird", 0, "-3 weird"),
        ("\u0663 x".encode(), 0, "\u0663 x"),
        (b"\xff\xfe bad", 0, "\ufffd\ufffd bad"),
        (b"5", 5, ""),
        (b"3 reason with spaces", 3, "reason with spaces"),
        (b"2 max_attempts", 2, "max_attempts"),
    ],
)
def test_parse_dead_info_values(info: bytes, attempts: int, reason: str) -> None:
    assert parse_dead_info(info) == (attempts, reason)


def test_parse_dead_info_missing() -> None:
    assert parse_dead_info(None) == (0, "undecodable")


@pytest.mark.parametrize(
    ("info", "attempts", "reason"),
    [
        (b"abc", "0", "abc"),
        (b"", "0", "''"),
        (b"1.5 x", "0", "1.5 x"),
        (b" ", "0", "' '"),
        (b"\xff\xfe bad", "0", "\ufffd\ufffd bad"),
        (b"3 reason with spaces", "3", "reason with spaces"),
    ],
)
def test_dead_shows_corrupt_info(
    capsys: pytest.CaptureFixture[str],
    redis_url: str,
    r: redis.Redis,
    key: str,
    info: bytes,
    attempts: str,
    reason: str,
) -> None:
    add_dead_letter(r, key, b"m", info)
    code, out, err = run_cli(capsys, "dead", key, "--url", redis_url)
    assert code == 0, err
    assert err == ""
    rows = table_rows(out)
    assert rows[0] == ["score", "attempts", "reason", "member"]
    assert rows[1] == ["1", attempts, reason, "m"]
    assert len(rows) == 2


# -- set names -------------------------------------------------------------------


@pytest.mark.parametrize("argv", SET_COMMANDS, ids=SET_COMMAND_IDS)
def test_empty_set_name_is_usage_error(
    capsys: pytest.CaptureFixture[str], redis_url: str, argv: tuple[str, ...]
) -> None:
    code, out, err = run_cli(capsys, argv[0], "", *argv[1:], "--url", redis_url)
    assert code == 2
    assert out == ""
    assert "a set name must not be empty" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("argv", SET_COMMANDS, ids=SET_COMMAND_IDS)
def test_non_utf8_set_name_is_usage_error(
    capsys: pytest.CaptureFixture[str],
    redis_url: str,
    r: redis.Redis,
    key: str,
    argv: tuple[str, ...],
) -> None:
    raw_name = key.encode() + b"\xff"
    r.zadd(raw_name, {b"a": 1})
    # Python decodes argv bytes that are not UTF-8 this way.
    name = os.fsdecode(raw_name)
    code, out, err = run_cli(capsys, argv[0], name, *argv[1:], "--url", redis_url)
    assert code == 2
    assert out == ""
    assert repr(raw_name) in err
    assert "not valid UTF-8" in err
    assert r.zcard(raw_name) == 1


# -- peek -n -----------------------------------------------------------------------


def test_peek_count_above_maxsize(
    capsys: pytest.CaptureFixture[str], redis_url: str, r: redis.Redis, key: str
) -> None:
    r.zadd(key, {b"a": 1, b"b": 2})
    count = str(sys.maxsize + 1)
    code, out, err = run_cli(capsys, "peek", key, "-n", count, "--url", redis_url)
    assert code == 0, err
    assert [row[-1] for row in table_rows(out)] == ["member", "a", "b"]


# -- text from Redis and argv on the terminal --------------------------------------


CONTROL_NAME = "jobs\x1b[2J\x1b]0;title\x07\nfake row   999"


def test_info_escapes_control_characters(
    capsys: pytest.CaptureFixture[str], redis_url: str, r: redis.Redis, key: str
) -> None:
    name = key + CONTROL_NAME
    r.zadd(name, {b"a": 1})
    code, out, err = run_cli(capsys, "info", name, "--url", redis_url)
    assert code == 0, err
    assert "\x1b" not in out
    assert "\x07" not in out
    lines = out.splitlines()
    assert lines[0].split(maxsplit=1) == ["set", repr(name)]
    assert not any(line.startswith("fake row") for line in lines)
    assert f"bytes in {format_text(name)}" in out


def test_dead_escapes_control_characters(
    capsys: pytest.CaptureFixture[str], redis_url: str, r: redis.Redis, key: str
) -> None:
    add_dead_letter(r, key, b"m", b"2 max_attempts\x1b[2J\nfake row")
    code, out, err = run_cli(capsys, "dead", key, "--url", redis_url)
    assert code == 0, err
    assert "\x1b" not in out
    rows = table_rows(out)
    assert rows[1] == ["1", "2", repr("max_attempts\x1b[2J\nfake row"), "m"]
    assert len(rows) == 2


def test_format_text_quotes_unsafe_text() -> None:
    assert format_text("jobs") == "jobs"
    assert format_text("two words") == "two words"
    assert format_text("") == "''"
    assert format_text("a\x1bb") == repr("a\x1bb")
    assert format_text("right\u202eleft") == repr("right\u202eleft")
    assert format_text("b'x'") == repr("b'x'")


def test_error_message_escapes_control_characters(
    capsys: pytest.CaptureFixture[str],
    redis_url: str,
    key: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fail(*arguments: object) -> int:
        raise CommandError("bad \x1b[2Jvalue")

    monkeypatch.setattr(commands, "info", fail)
    code, out, err = run_cli(capsys, "info", key, "--url", redis_url)
    assert code == 1
    assert out == ""
    assert err == "redset: error: bad \\x1b[2Jvalue\n"


# -- purge between its question and the answer -----------------------------------


def answering(
    r: redis.Redis, name: str, answers: list[bool], questions: list[str]
) -> Callable[[str], bool]:
    """Return a confirm function that adds a dead letter before each reply."""

    def confirm(question: str) -> bool:
        questions.append(question)
        add_dead_letter(r, name, f"late{len(questions)}".encode(), b"1 max_attempts")
        return answers[len(questions) - 1]

    return confirm


@pytest.mark.single_server
def test_purge_asks_again_when_changed(r: redis.Redis, key: str) -> None:
    add_dead_letter(r, key, b"a", b"1 max_attempts")
    questions: list[str] = []
    out = io.StringIO()
    code = commands.purge(
        r, key, out, confirm=answering(r, key, [True, False], questions)
    )
    assert code == 1
    assert questions == [
        f"Delete 1 dead letter of {key!r}?",
        f"Delete 2 dead letters of {key!r}?",
    ]
    assert "changed before the delete, so nothing was deleted" in out.getvalue()
    # The user agreed to delete one dead letter, then declined two.
    assert r.zcard(lease_keys(key)[4]) == 3
    assert r.hlen(lease_keys(key)[5]) == 3


@pytest.mark.single_server
def test_purge_deletes_what_was_counted(r: redis.Redis, key: str) -> None:
    add_dead_letter(r, key, b"a", b"1 max_attempts")
    questions: list[str] = []
    out = io.StringIO()
    confirm = answering(r, key, [True], questions)

    def confirm_once(question: str) -> bool:
        # The dead letters change before the first reply only.
        if questions:
            questions.append(question)
            return True
        return confirm(question)

    code = commands.purge(r, key, out, confirm=confirm_once)
    assert code == 0
    assert questions[1] == f"Delete 2 dead letters of {key!r}?"
    assert out.getvalue().endswith(f"deleted 2 dead letters of {key!r}\n")
    assert r.exists(*lease_keys(key)[4:6]) == 0


@pytest.mark.single_server
def test_purge_gives_up_when_always_changing(r: redis.Redis, key: str) -> None:
    add_dead_letter(r, key, b"a", b"1 max_attempts")
    questions: list[str] = []
    with pytest.raises(CommandError, match="changed before each of 3 deletes"):
        commands.purge(
            r, key, io.StringIO(), confirm=answering(r, key, [True] * 3, questions)
        )
    assert len(questions) == 3
    assert r.zcard(lease_keys(key)[4]) == 4


@pytest.mark.single_server
def test_purge_keeps_key_retyped_meanwhile(r: redis.Redis, key: str) -> None:
    dead_info_key = lease_keys(key)[5]
    add_dead_letter(r, key, b"a", b"1 max_attempts")

    def confirm(question: str) -> bool:
        r.delete(dead_info_key)
        r.set(dead_info_key, "another program's data")
        return True

    with pytest.raises(WrongTypeError, match="holds a string, not a hash"):
        commands.purge(r, key, io.StringIO(), confirm=confirm)
    assert r.get(dead_info_key) == b"another program's data"
    assert r.zcard(lease_keys(key)[4]) == 1


def test_purge_prompt_eof_ends_line(
    capsys: pytest.CaptureFixture[str],
    redis_url: str,
    r: redis.Redis,
    key: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_dead_letter(r, key, b"a", b"1 max_attempts")
    monkeypatch.setattr(sys, "stdin", FakeTerminal(""))
    code, out, err = run_cli(capsys, "purge", key, "--url", redis_url)
    assert code == 1
    assert out == "nothing deleted\n"
    assert err.endswith("[y/N] \n")
    assert r.zcard(lease_keys(key)[4]) == 1


# -- wording and layout -------------------------------------------------------------


def test_wrong_type_names_both_types(
    capsys: pytest.CaptureFixture[str], redis_url: str, r: redis.Redis, key: str
) -> None:
    dead_info_key = lease_keys(key)[5]
    r.zadd(dead_info_key, {b"x": 1})
    code, out, err = run_cli(capsys, "dead", key, "--url", redis_url)
    assert code == 1
    assert out == ""
    assert f"Redis key {dead_info_key!r} holds a sorted set, not a hash" in err
    assert "zset" not in err


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (3.0, "3"),
        (-2.0, "-2"),
        (0.5, "0.5"),
        (9007199254740992.0, "9007199254740992"),
        (9999999999999998.0, "9999999999999998"),
        (1e16, "1e+16"),
        (1e300, "1e+300"),
        (-1e300, "-1e+300"),
        (float("inf"), "inf"),
    ],
)
def test_format_score_large_whole_numbers(score: float, expected: str) -> None:
    assert format_score(score) == expected
    assert float(format_score(score)) == score


def test_peek_huge_score_is_short(
    capsys: pytest.CaptureFixture[str], redis_url: str, r: redis.Redis, key: str
) -> None:
    r.zadd(key, {b"big": 1e300})
    code, out, err = run_cli(capsys, "peek", key, "--url", redis_url)
    assert code == 0, err
    assert table_rows(out)[1] == ["0", "1e+300", "big"]


@pytest.mark.parametrize("buffered", [True, False], ids=["buffered", "unbuffered"])
@pytest.mark.parametrize(
    ("count", "lines_read"), [(50_000, 1), (2, 0)], ids=["head", "gone"]
)
def test_peek_into_closed_pipe_is_quiet(
    redis_url: str,
    r: redis.Redis,
    key: str,
    buffered: bool,
    count: int,
    lines_read: int,
) -> None:
    r.zadd(key, {f"member-{i}".encode(): i for i in range(count)})
    environment = dict(os.environ)
    environment.pop("PYTHONUNBUFFERED", None)
    if not buffered:
        environment["PYTHONUNBUFFERED"] = "1"
    argv = [sys.executable, "-m", "redset", "--url", redis_url]
    process = subprocess.Popen(
        [*argv, "peek", key, "-n", str(count)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
    )
    try:
        assert process.stdout is not None
        assert process.stderr is not None
        for _ in range(lines_read):
            assert process.stdout.readline().split() == [b"#", b"score", b"member"]
        # With 50,000 members about 1 MB is left, far more than a pipe
        # buffers, so the command is still writing when the reader goes
        # away, as with head -1. With 2 members the reader is gone before
        # the command, still starting up, writes anything.
        process.stdout.close()
        process.wait(timeout=60)
        err = process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert err == b""
    assert process.returncode == 141


def test_purge_connection_closed_while_asking() -> None:
    # redis-py raises WatchError for a watching connection that closed too.
    # Here another client closes it while the question waits, as the
    # server's idle timeout would.
    with RedisServer(find_redis_binaries()[0].path) as server:
        client = server.client()
        add_dead_letter(client, "jobs", b"a", b"1 max_attempts")

        def confirm(question: str) -> bool:
            with server.client() as control:
                control.client_kill_filter(_type="normal", skipme=True)
            return True

        with pytest.raises(CommandError, match="the connection to Redis closed"):
            commands.purge(client, "jobs", io.StringIO(), confirm=confirm)
        assert client.zcard(lease_keys("jobs")[4]) == 1
        client.close()
