"""The demo's handling of signals, server failures, its limits and its output.

Each test runs the demo against the session's private server, or against a
server of its own when it kills that server. Tests that signal the demo run
it as a subprocess in a session of its own and read its workers from /proc.
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Iterable
from multiprocessing.context import SpawnProcess
from multiprocessing.process import BaseProcess
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from redset import Lease, TimeSortedSet
from redset._cli import build_parser, demo
from servers import RedisServer, find_redis_binaries
from test_cli import run_cli, spawned_children, summary_fields

needs_proc = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="needs /proc"
)

# Seconds a test waits for the demo or its workers before it fails.
WAIT_SECONDS = 60.0


def demo_command(url: str, *options: str) -> list[str]:
    return [sys.executable, "-m", "redset", "--url", url, "demo", *options]


def start_demo(command: list[str]) -> subprocess.Popen[str]:
    # A session of its own, so that a signal to the demo's process group
    # reaches its workers and nothing else, as Ctrl-C at a terminal does.
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def is_running(pid: int) -> bool:
    """Tell whether ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def wait_until_gone(pids: Iterable[int], timeout: float = WAIT_SECONDS) -> list[int]:
    """Wait for the processes to exit, and return those still running."""
    deadline = time.monotonic() + timeout
    while True:
        running = [pid for pid in pids if is_running(pid)]
        if not running or time.monotonic() > deadline:
            return running
        time.sleep(0.01)


def wait_for_workers(process: subprocess.Popen[str], count: int) -> list[int]:
    deadline = time.monotonic() + WAIT_SECONDS
    while len(workers := spawned_children(process.pid)) < count:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the worker processes did not start"
        time.sleep(0.002)
    return workers


def wait_for_crawl(process: subprocess.Popen[str], r: redis.Redis, modules: int) -> str:
    """Wait until the run has crawled ``modules`` modules, and return its prefix."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the crawl did not start"
        for name in r.scan_iter(match="redset-demo:*:crawled"):
            if r.zcard(name) >= modules:
                crawled: str = name.decode()
                return crawled.removesuffix(":crawled")
        time.sleep(0.01)


def demo_keys(r: redis.Redis, prefix: str = "") -> list[bytes]:
    """Return the keys of a demo run, or of every run, the sets' own included."""
    pattern = f"*{prefix}:*" if prefix else "*redset-demo:*"
    return list(r.scan_iter(match=pattern))


def stop_all(process: subprocess.Popen[str], workers: Iterable[int]) -> None:
    """Kill the demo and any of its workers still running."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
    for pid in wait_until_gone(workers, timeout=0):
        try:
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


# -- the number of workers ------------------------------------------------------


def test_workers_above_maximum_is_usage_error(
    capsys: pytest.CaptureFixture[str], redis_url: str, r: redis.Redis
) -> None:
    code, out, err = run_cli(capsys, "demo", "--url", redis_url, "--workers", "65")
    assert code == 2
    assert out == ""
    assert err.startswith("usage: redset demo ")
    assert err.splitlines()[-1] == (
        "redset demo: error: argument --workers: expected 64 or fewer, got 65"
    )
    assert demo_keys(r) == []


def test_workers_maximum_is_accepted() -> None:
    arguments = build_parser().parse_args(["demo", "--workers", "64"])
    assert arguments.workers == 64


def test_workers_help_gives_limit(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run_cli(capsys, "demo", "--help")
    assert "number of worker processes, 1 to 64 (default: 4)" in " ".join(out.split())


# -- signals --------------------------------------------------------------------


def test_ctrl_c_stops_start_of_workers(
    capsys: pytest.CaptureFixture[str],
    redis_url: str,
    r: redis.Redis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Ctrl-C while the second worker starts: the run must stop there and not
    # start the other 62 first. The interrupt goes to this process alone, in
    # which main() runs.
    started: list[BaseProcess] = []
    real_start = SpawnProcess.start

    def start_and_interrupt(process: SpawnProcess) -> None:
        real_start(process)
        started.append(process)
        if len(started) == 2:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(SpawnProcess, "start", start_and_interrupt)
    code, out, err = run_cli(capsys, "demo", "--url", redis_url, "--workers", "64")
    assert code == 130
    assert out == ""
    assert err == "redset: interrupted\n"
    assert len(started) == 2
    assert [process.is_alive() for process in started] == [False, False]
    assert demo_keys(r) == []


@needs_proc
def test_sigkill_leaves_keys_with_ttl(redis_url: str, r: redis.Redis) -> None:
    process = start_demo(demo_command(redis_url, "--workers", "2"))
    workers: list[int] = []
    prefix = ""
    try:
        workers = wait_for_workers(process, 2)
        prefix = wait_for_crawl(process, r, 20)
        os.kill(process.pid, signal.SIGKILL)
        process.communicate(timeout=WAIT_SECONDS)
        # The workers see their parent gone and exit on their own.
        assert wait_until_gone(workers) == []
        left = {name.decode(): r.pttl(name) for name in demo_keys(r, prefix)}
    finally:
        stop_all(process, workers)
        if prefix:
            for name in demo_keys(r, prefix):
                r.delete(name)
    assert f"{prefix}:seen" in left
    assert f"{prefix}:crawled" in left
    assert f"{prefix}:stats" in left
    for key, milliseconds in left.items():
        assert 0 < milliseconds <= demo.KEY_TTL_SECONDS * 1000, key


@needs_proc
def test_sighup_cleans_up(redis_url: str, r: redis.Redis) -> None:
    process = start_demo(demo_command(redis_url, "--workers", "2"))
    workers: list[int] = []
    try:
        workers = wait_for_workers(process, 2)
        wait_for_crawl(process, r, 20)
        # A terminal that closes sends SIGHUP to its foreground process group.
        os.killpg(process.pid, signal.SIGHUP)
        out, err = process.communicate(timeout=WAIT_SECONDS)
    finally:
        stop_all(process, workers)
    assert process.returncode == 128 + signal.SIGHUP, err
    assert out == ""
    assert "Traceback" not in err
    assert wait_until_gone(workers) == []
    assert demo_keys(r) == []


# -- a server that goes away ----------------------------------------------------


@needs_proc
def test_server_gone_reports_first_error(tmp_path: Path) -> None:
    binary = find_redis_binaries()[0].path
    server = RedisServer(binary, directory=tmp_path).start()
    process = start_demo(demo_command(server.url, "--workers", "2"))
    workers: list[int] = []
    try:
        # The parent has queued the seeds before it starts the workers, and
        # the workers send their first command after they all started.
        workers = wait_for_workers(process, 2)
        server.kill()
        out, err = process.communicate(timeout=WAIT_SECONDS)
    finally:
        stop_all(process, workers)
        server.kill()
    assert process.returncode == 1, err
    assert out == ""
    lines = err.splitlines()
    assert lines, err
    assert all(line.startswith("redset: error: ") for line in lines), err
    assert lines[-1].startswith("redset: error: worker "), err
    assert " exited with status 1; " in lines[-1]


# -- the summary and the progress line ------------------------------------------


def test_kill_one_without_fifth_claim_says_why(
    capsys: pytest.CaptureFixture[str], redis_url: str, r: redis.Redis
) -> None:
    # sys is built in, so the crawl claims one module and ends.
    code, out, err = run_cli(
        capsys,
        "demo",
        "--url",
        redis_url,
        "--workers",
        "2",
        "--seed",
        "sys",
        "--kill-one",
    )
    assert code == 0, out + err
    fields = summary_fields(out)
    assert fields["worker killed"] == (
        "none: --kill-one kills at claim 5, and the crawl ended after 1 claim"
    )
    assert fields["matches the walk"] == "yes"
    assert demo_keys(r) == []


def read_terminal(master: int, end: bytes) -> bytes:
    """Read what was written to a pseudo-terminal, up to and including ``end``."""
    received = b""
    deadline = time.monotonic() + 10
    while not received.endswith(end):
        assert time.monotonic() < deadline, received
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            received += os.read(master, 4096)
    return received


@pytest.mark.parametrize("columns", [40, 200])
def test_progress_line_fits_terminal(redis_url: str, columns: int) -> None:
    master, terminal = os.openpty()
    size = struct.pack("HHHH", 24, columns, 0, 0)
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, size)
    try:
        with (
            open(terminal, "w", closefd=False) as stream,
            redis.Redis.from_url(redis_url) as client,
        ):
            crawl = demo.Crawl(client, demo.RunKeys.new())
            try:
                crawl.queue(["json", "email"])
                demo._progress(crawl, stream)
                demo._progress(crawl, stream, final=True)
            finally:
                crawl.delete()
        # The terminal turns the final "\n" into "\r\n".
        received = read_terminal(master, b"\r\n").decode()
    finally:
        os.close(terminal)
        os.close(master)
    lines = [line for line in received.split("\r") if line.strip()]
    assert len(lines) == 2, received
    for line in lines:
        assert len(line.rstrip("\n")) == columns - 1, line
    assert lines[0].startswith("[......")
    if columns > 70:
        assert lines[0].rstrip() == (f"[{'.' * 30}] 0/2 modules crawled, 0 in flight")


def test_heartbeat_stops_quietly_on_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(demo, "LEASE_SECONDS", 0.15)
    thread_errors: list[BaseException | None] = []
    monkeypatch.setattr(
        threading, "excepthook", lambda hook: thread_errors.append(hook.exc_value)
    )
    # A socket path where no server listens: every extension fails.
    client = redis.Redis(
        unix_socket_path=str(tmp_path / "missing.sock"), retry=Retry(NoBackoff(), 0)
    )
    frontier: TimeSortedSet[str] = TimeSortedSet(client, "jobs")
    lease = Lease("slow.module", b"slow.module", "token:1", time.time() + 60, 1)
    with demo._heartbeat(frontier, lease):
        time.sleep(0.3)  # two beats
    assert thread_errors == []


def test_worker_error_line_is_escaped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"unix://{tmp_path}/\x1b[7mmissing.sock"
    settings = demo.WorkerSettings(url, demo.RunKeys.new(), 1)
    # run_worker ignores SIGINT, as a worker process must; pytest must not.
    previous = signal.getsignal(signal.SIGINT)
    try:
        with pytest.raises(SystemExit):
            demo.run_worker(settings, threading.Barrier(1), None)  # type: ignore[arg-type]
    finally:
        signal.signal(signal.SIGINT, previous)
    err = capsys.readouterr().err
    assert err.startswith("redset: error: worker 1 failed: ConnectionError: ")
    assert "\x1b" not in err
    assert "\\x1b[7mmissing.sock" in err
