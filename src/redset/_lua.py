"""Pick the parts of a Lua prelude that a script uses.

Redis Lua has no ``require``, so the functions that several scripts share
live in prelude files whose source goes in front of each script. Redis runs
that source on every call, and each ``local function`` statement then makes
a new closure. A script therefore gets only the prelude statements it
refers to, directly or through another statement it keeps. For an ack,
this cut the server's work from about 118,000 to 99,000 instructions per
call (callgrind on redis-server 7.0.15).

A prelude must consist of top-level ``local`` statements: ``local function
name(...)`` blocks closed by ``end`` at the start of a line, and ``local
a, b = ...`` lines. Comment lines at the start of a line belong to the
statement below them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["used_definitions"]

# A quoted string, which is kept, or a comment to the end of its line.
_STRING_OR_COMMENT = re.compile(r"""'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|--[^\n]*""")
_LONG_BRACKET = re.compile(r"\[=*\[")
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
_FUNCTION = re.compile(r"local function (\w+)\(")
_VARIABLES = re.compile(r"local ([\w, ]+?) =")


@dataclass(frozen=True)
class _Statement:
    names: frozenset[str]  # the locals it declares
    source: str  # with the comment lines above it


def _identifiers(source: str) -> set[str]:
    """Return the identifiers in Lua ``source``, leaving out its comments.

    Words inside strings count too, which can only keep a statement that
    is not needed. Long brackets (``[[ ]]`` strings and ``--[[ ]]``
    comments) raise ValueError, because this scanner does not read them.
    """
    code = _STRING_OR_COMMENT.sub(_drop_comment, source)
    if _LONG_BRACKET.search(code):
        raise ValueError("long brackets ([[ ]] or --[[ ]]) are not supported")
    return set(_IDENTIFIER.findall(code))


def _drop_comment(match: re.Match[str]) -> str:
    text = match.group()
    if not text.startswith("--"):
        return text
    if _LONG_BRACKET.match(text, 2):
        raise ValueError("long brackets ([[ ]] or --[[ ]]) are not supported")
    return ""


def _declared_names(line: str) -> frozenset[str]:
    if ";" in _STRING_OR_COMMENT.sub("", line):
        raise ValueError(
            f"invalid prelude line {line!r}: put one statement on each line"
        )
    function = _FUNCTION.match(line)
    if function:
        return frozenset([function.group(1)])
    variables = _VARIABLES.match(line)
    if variables is None:
        raise ValueError(
            f"invalid prelude line {line!r}: expected 'local function name(' "
            "or 'local name = '"
        )
    return frozenset(name.strip() for name in variables.group(1).split(","))


def _statements(prelude: str) -> list[_Statement]:
    """Split a prelude into its top-level ``local`` statements."""
    parts: list[tuple[frozenset[str], list[str]]] = []
    waiting: list[str] = []  # blank and comment lines not yet placed
    for line in prelude.splitlines(keepends=True):
        if line.startswith("local "):
            parts.append((_declared_names(line), [*waiting, line]))
            waiting = []
        elif not line.strip() or line.startswith("--"):
            waiting.append(line)
        elif parts and (line[0].isspace() or line.rstrip() == "end"):
            # The body of the statement above, or its closing "end".
            parts[-1][1].extend([*waiting, line])
            waiting = []
        else:
            raise ValueError(
                f"invalid prelude line {line!r}: a prelude may contain only "
                "top-level local statements"
            )
    if waiting and parts:
        parts[-1][1].extend(waiting)
    return [_Statement(names, "".join(lines)) for names, lines in parts]


def used_definitions(prelude: str, code: str) -> str:
    """Return the statements of ``prelude`` that ``code`` needs, in order.

    A statement is needed when ``code`` or another needed statement refers
    to a name it declares. Names are matched as whole identifiers outside
    comments, so a name that appears only in a string keeps its statement
    too, which costs time but never breaks the script.
    """
    statements = _statements(prelude)
    referenced = _identifiers(code)
    needed = [False] * len(statements)
    changed = True
    while changed:
        changed = False
        for index, statement in enumerate(statements):
            if not needed[index] and statement.names & referenced:
                needed[index] = True
                referenced |= _identifiers(statement.source)
                changed = True
    return "".join(
        statement.source
        for statement, keep in zip(statements, needed, strict=True)
        if keep
    )
