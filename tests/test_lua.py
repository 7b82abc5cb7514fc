"""The prelude statements each Lua script keeps."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from redset import _algebra, _core, _expiring, _leases
from redset._lua import _declared_names, _identifiers, used_definitions
from redset._protocol import Script

PRELUDE = """\
-- Header of the prelude.
local first, second = KEYS[1], KEYS[2]

-- Returns the first key.
local function read_first()
  return first
end

local function unused()

  return second
end

-- Calls read_first.
local function outer()
  return read_first()
end
"""


def test_keeps_called_function() -> None:
    kept_source = used_definitions(PRELUDE, "return read_first()")
    assert "local function read_first()" in kept_source
    assert "local first, second" in kept_source


def test_drops_unreferenced_function() -> None:
    kept_source = used_definitions(PRELUDE, "return read_first()")
    assert "unused" not in kept_source
    assert "outer" not in kept_source


def test_keeps_function_used_through_another() -> None:
    kept_source = used_definitions(PRELUDE, "return outer()")
    assert "local function outer()" in kept_source
    assert "local function read_first()" in kept_source


def test_keeps_comments_and_blank_lines_of_statement() -> None:
    kept_source = used_definitions(PRELUDE, "return unused()")
    assert "local function unused()\n\n  return second\nend\n" in kept_source
    kept_source = used_definitions(PRELUDE, "return read_first()")
    assert "-- Returns the first key.\nlocal function read_first()" in kept_source


def test_name_in_comment_is_no_reference() -> None:
    kept_source = used_definitions(PRELUDE, "-- outer() is not called here\nreturn 1")
    assert kept_source == ""


def test_keeps_statement_order() -> None:
    kept_source = used_definitions(PRELUDE, "return outer(), unused()")
    assert kept_source == PRELUDE


def test_dashes_in_string_are_no_comment() -> None:
    kept_source = used_definitions(PRELUDE, "return redis.call('GET', '--x'), outer()")
    assert "local function outer()" in kept_source


def test_rejects_two_statements_on_line() -> None:
    with pytest.raises(ValueError, match="one statement on each line"):
        used_definitions("local x = 1; local y = 2\n", "return y")


@pytest.mark.parametrize(
    "code", ["return [[text]]", "return [==[text]==]", "--[[ note\n]] return 1"]
)
def test_rejects_long_brackets(code: str) -> None:
    with pytest.raises(ValueError, match="long brackets"):
        used_definitions(PRELUDE, code)


def test_rejects_statement_that_is_not_local() -> None:
    with pytest.raises(ValueError, match="only top-level local statements"):
        used_definitions("redis.call('DEL', KEYS[1])\n", "return 1")


def test_rejects_unreadable_local_line() -> None:
    with pytest.raises(ValueError, match="expected 'local function name\\('"):
        used_definitions("local x\n", "return x")


def _prelude_names() -> set[str]:
    """Return every name that a prelude file declares at its top level."""
    names: set[str] = set()
    for prelude in ("clock_prelude", "lease_prelude"):
        source = (resources.files("redset") / "scripts" / f"{prelude}.lua").read_text()
        for line in source.splitlines():
            if line.startswith("local "):
                names |= _declared_names(line)
    return names


SHIPPED = {
    value.name: value
    for module in (_algebra, _core, _expiring, _leases)
    for value in vars(module).values()
    if isinstance(value, Script)
}


@pytest.mark.parametrize("script", SHIPPED.values(), ids=list(SHIPPED))
def test_shipped_script_declares_what_it_uses(script: Script) -> None:
    # Script bodies also declare locals without a value, as "local score".
    declared: set[str] = set()
    for match in re.finditer(
        r"^local (?:function (\w+)|([\w, ]+))", script.source, re.M
    ):
        names = match.group(1) or match.group(2)
        declared |= {name.strip() for name in names.split(",")}
    used = _identifiers(script.source) & _prelude_names()
    assert used <= declared
