"""The ``redset`` command: inspect sets and run the crawl demo.

``main(argv)`` returns the exit code, so tests call it in-process. Errors are
printed as one line on stderr with exit code 1. A usage error, found by
argparse or by a check of option conflicts after parsing, exits with code 2.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import FrameType

import redis

from .. import __version__
from ..errors import RedsetError
from . import commands
from .connection import DEFAULT_ADDRESS, CommandError, connect
from .output import escape_unprintable

__all__ = ["main"]

PROGRAM = "redset"


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more, got {value}")
    return value


def _url(text: str) -> str:
    # An empty value, such as a mistyped "$VARIABLE", must not fall back to
    # REDIS_URL or the default server.
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a Redis URL, got an empty value")
    return text


def _set_name(text: str) -> str:
    """Check a set name from the command line: UTF-8 text, not empty."""
    if not text:
        raise argparse.ArgumentTypeError("a set name must not be empty")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Python turns argv bytes that are not UTF-8 into surrogate escapes,
        # and os.fsencode() turns them back for the message.
        try:
            name_literal = repr(os.fsencode(text))
        except UnicodeEncodeError:
            name_literal = repr(text)
        raise argparse.ArgumentTypeError(
            f"set name {name_literal} is not valid UTF-8, and redset names sets with "
            "UTF-8 text only; rename the key to a UTF-8 name to inspect it"
        ) from None
    return text


# Each demo worker is a Python process of its own, about 20 MB resident
# (measured with CPython 3.11 on Linux x86-64), with its own Redis connection.
# The default seeds reach 385 modules on CPython 3.11, so with more than a few
# dozen workers most of them only wait for work.
DEMO_MAX_WORKERS = 64


def _demo_worker_count(text: str) -> int:
    value = _positive_int(text)
    if value > DEMO_MAX_WORKERS:
        raise argparse.ArgumentTypeError(
            f"expected {DEMO_MAX_WORKERS} or fewer, got {value}"
        )
    return value


def _add_set_command(
    subcommands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
    name: str,
    summary: str,
    description: str | None = None,
) -> argparse.ArgumentParser:
    """Add a subcommand that takes the set's Redis key as NAME."""
    command = subcommands.add_parser(
        name, parents=[common], help=summary, description=description or summary
    )
    command.add_argument(
        "name", metavar="NAME", type=_set_name, help="the set's Redis key"
    )
    return command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROGRAM,
        description=(
            "Inspect redset sets in Redis, or run a demo that crawls the import "
            "graph of this Python installation with worker processes."
        ),
        epilog=(
            "The server is --url, else REDIS_URL, else a Redis at 127.0.0.1:6379, "
            "else an embedded redis-server started for the run (needs "
            "pip install 'redset[server]')."
        ),
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    url_help = "Redis URL, such as redis://host:6379/0 or unix:///path/redis.sock"
    parser.add_argument("--url", type=_url, help=url_help)
    # The subcommands take --url too; SUPPRESS keeps a value given before the
    # subcommand from being reset to the default.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", type=_url, default=argparse.SUPPRESS, help=url_help)
    subcommands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND"
    )

    demo = subcommands.add_parser(
        "demo",
        parents=[common],
        help="crawl the import graph of this Python with worker processes",
        description=(
            "Crawl the import graph of this Python installation from a few "
            "standard-library modules. Worker processes claim module names "
            "from a TimeSortedSet with leases, parse each module's source, "
            "and add what it imports back; an ExpiringSet records what was "
            "crawled. The result is checked against a walk in one process."
        ),
    )
    demo.add_argument(
        "--workers",
        type=_demo_worker_count,
        default=4,
        help=f"number of worker processes, 1 to {DEMO_MAX_WORKERS} (default: 4)",
    )
    demo.add_argument(
        "--seed",
        action="append",
        metavar="MODULE",
        help="module to start from; repeat for more (default: json, "
        "http.client, email)",
    )
    demo.add_argument(
        "--embedded",
        action="store_true",
        help="run on an embedded redis-server started for this run, ignoring "
        "REDIS_URL and any Redis on 127.0.0.1:6379 (needs pip install "
        "'redset[server]')",
    )
    demo.add_argument(
        "--kill-one",
        action="store_true",
        help="SIGKILL one worker while it has a lease, to show its module "
        "coming back after the lease expires",
    )
    # Option conflicts are found after parsing. main() reports them through
    # this parser, so that the usage shown is the demo's.
    demo.set_defaults(command_parser=demo)

    # The key alone does not tell which class wrote a set, so info and peek
    # read every score as a due time. Their help explains what that means for an
    # ExpiringSet, whose scores are expiry times.
    class_note = "The command cannot tell the set's class from its key."
    _add_set_command(
        subcommands,
        common,
        "info",
        "show size, due items, leases, dead letters, scores and memory",
        "Show the size, due items, leases, dead letters, lowest and highest "
        "scores and memory of a set. 'past deadline' counts the leases that "
        "have expired: the command only reads, so their items return to the "
        "set at the application's next pop, claim or count, under its "
        "max_attempts. For an ExpiringSet the scores are expiry times, so "
        f"'due now' counts the members that have expired. {class_note}",
    )
    peek = _add_set_command(
        subcommands,
        common,
        "peek",
        "show the next members in score order without removing them",
        "Show the members with the lowest scores, in score order, without "
        "removing them. For an ExpiringSet the scores are expiry times, so "
        "members that have expired come first, then those that expire soonest. "
        f"{class_note}",
    )
    peek.add_argument(
        "-n",
        type=_positive_int,
        default=10,
        dest="count",
        help="how many members to show (default: 10)",
    )

    _add_set_command(
        subcommands,
        common,
        "dead",
        "list the dead letters: members delivered max_attempts times without "
        "an ack, and members that no longer decode",
        "List the dead letters of a set, lowest score first, with their "
        "delivery counts and the reason: 'max_attempts' for a member delivered "
        "max_attempts times without an ack, 'undecodable' for a member that "
        "no longer decodes. The command only reads.",
    )
    _add_set_command(
        subcommands,
        common,
        "requeue",
        "move the dead letters back into the set",
        "Move every dead letter back into the set with its old score, with "
        "its delivery count starting over. A member that is already in the "
        "set keeps its score there, and counts as moved.",
    )
    purge = _add_set_command(
        subcommands,
        common,
        "purge",
        "delete the dead letters (asks first)",
        "Delete the dead letters of a set, after asking.",
    )
    purge.add_argument(
        "--yes",
        action="store_true",
        help="do not ask; required when stdin is not a terminal",
    )
    return parser


def confirm_on_terminal(question: str) -> bool:
    """Ask a yes/no question on the terminal; reject when there is none."""
    stdin = sys.stdin
    if stdin is None or stdin.closed or not stdin.isatty():
        raise CommandError(
            "stdin is not a terminal, so the command cannot ask before deleting; "
            "pass --yes to delete anyway"
        )
    print(f"{question} [y/N] ", end="", file=sys.stderr, flush=True)
    answer = stdin.readline()
    if not answer.endswith("\n"):
        # At end of input the terminal echoes no newline, so the next line
        # would start on the prompt's line.
        print(file=sys.stderr)
    return answer.strip().lower() in ("y", "yes")


@contextmanager
def _exit_on_termination_signals() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into SystemExit, so that cleanup code runs.

    The exit status is 128 plus the signal number, as for a process the
    signal killed. The cleanup stops an embedded server and the demo's
    workers, and deletes the demo's keys. A terminal that closes sends
    SIGHUP, which Windows does not have.
    """

    def handle(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signums = [signal.SIGTERM]
    if hasattr(signal, "SIGHUP"):
        signums.append(signal.SIGHUP)
    try:
        previous = [(signum, signal.signal(signum, handle)) for signum in signums]
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        for signum, handler in previous:
            signal.signal(signum, handler)


def _demo_option_conflict(arguments: argparse.Namespace) -> str | None:
    """Return why the demo's options cannot be used together, or None."""
    if arguments.kill_one and arguments.workers < 2:
        return (
            "--kill-one needs --workers 2 or more, so that another worker can "
            "take over the killed worker's module"
        )
    if arguments.embedded and arguments.url:
        return "--embedded cannot be used with --url: pass one of them"
    return None


def _run(arguments: argparse.Namespace, default_address: tuple[str, int]) -> int:
    def notify(line: str) -> None:
        print(f"{PROGRAM}: {line}", file=sys.stderr, flush=True)

    with connect(
        arguments.url,
        os.environ,
        default_address=default_address,
        notify=notify,
        force_embedded=getattr(arguments, "embedded", False),
    ) as server:
        out = sys.stdout
        if arguments.command == "demo":
            from .demo import run_demo

            return run_demo(
                server.url,
                server.client,
                out,
                workers=arguments.workers,
                seeds=arguments.seed,
                kill_one=arguments.kill_one,
            )
        if arguments.command == "info":
            return commands.info(server.client, arguments.name, out)
        if arguments.command == "peek":
            return commands.peek(server.client, arguments.name, arguments.count, out)
        if arguments.command == "dead":
            return commands.dead(server.client, arguments.name, out)
        if arguments.command == "requeue":
            return commands.requeue(server.client, arguments.name, out)
        assert arguments.command == "purge"
        return commands.purge(
            server.client,
            arguments.name,
            out,
            confirm=(lambda question: True) if arguments.yes else confirm_on_terminal,
        )


def _discard_stdout() -> None:
    """Point the process's stdout at os.devnull after the reader went away.

    Python flushes stdout again at exit, and the data left in its buffer
    would raise BrokenPipeError a second time. A stdout that tests replaced
    is left alone.
    """
    stdout = sys.__stdout__
    if stdout is None or sys.stdout is not stdout:
        return
    try:
        descriptor = stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, descriptor)
    os.close(devnull)


def main(
    argv: Sequence[str] | None = None,
    *,
    default_address: tuple[str, int] = DEFAULT_ADDRESS,
) -> int:
    """Run the command line ``argv`` and return the exit code.

    ``default_address`` is where a server is looked for when neither --url
    nor REDIS_URL is given.
    """
    parser = build_parser()
    try:
        arguments = parser.parse_args(argv)
        if arguments.command == "demo":
            conflict = _demo_option_conflict(arguments)
            if conflict is not None:
                arguments.command_parser.error(conflict)
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else 2
    try:
        with _exit_on_termination_signals():
            code = _run(arguments, default_address)
        # Output to a pipe waits in a buffer. Flushing it here, and not at
        # interpreter exit, lets a reader that went away end quietly below.
        if sys.stdout is not None:
            sys.stdout.flush()
        return code
    except BrokenPipeError:
        # The reader of stdout, such as head, has exited. Like other Unix
        # tools, exit quietly with the status of a process that SIGPIPE kills.
        _discard_stdout()
        return 128 + signal.SIGPIPE
    except (CommandError, RedsetError, redis.RedisError, OSError) as error:
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"{PROGRAM}: error: {escape_unprintable(message)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        # A terminal echoes ^C where the cursor is, which may be after the
        # purge prompt or the demo's progress line, so start a new line.
        newline = "\n" if sys.stderr.isatty() else ""
        print(f"{newline}{PROGRAM}: interrupted", file=sys.stderr)
        return 130
