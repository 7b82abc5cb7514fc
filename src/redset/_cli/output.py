"""Text output of the command: members, scores and aligned tables."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "escape_unprintable",
    "format_member",
    "format_score",
    "format_text",
    "plural_suffix",
    "table",
]


# Text that starts like a quoted string or a bytes literal is quoted too, so
# that it is never mistaken for one.
_QUOTE_PREFIXES = ("'", '"', "b'", 'b"')


def escape_unprintable(text: str) -> str:
    """Escape control and other unprintable characters as repr() does."""
    return "".join(
        character if character.isprintable() else repr(character)[1:-1]
        for character in text
    )


def format_member(member: bytes) -> str:
    """Show a raw member as plain text where that is unambiguous.

    UTF-8 text is shown as ``format_text`` shows it. A member that is not
    UTF-8 is shown as a Python bytes literal.
    """
    try:
        text = member.decode("utf-8")
    except UnicodeDecodeError:
        return repr(member)
    return format_text(text)


def format_text(text: str) -> str:
    """Show text from Redis or the command line so that it cannot fool a terminal.

    Return a quoted Python string literal, which escapes every character
    that is not printable, when the text is empty, starts or ends with
    whitespace, or starts with a quote, ``b'`` or ``b"``. Do the same when
    it contains a character that is not printable, such as a newline, ESC
    or a non-ASCII space. Return other text as it is, inner spaces included.
    """
    plain = (
        text != ""
        and text.isprintable()
        and text.strip() == text
        and not text.startswith(_QUOTE_PREFIXES)
    )
    return text if plain else repr(text)


# repr() writes a whole number from 1e16 up in exponent form, such as
# 1e+300 for a score that str(int(score)) writes as 301 digits. Both are
# exact, and below 1e16 repr() writes a trailing ".0" instead.
_EXPONENT_FORM_THRESHOLD = 1e16


def format_score(score: float) -> str:
    """Show a score exactly, and a whole number below 1e16 without ``.0``."""
    if score.is_integer() and abs(score) < _EXPONENT_FORM_THRESHOLD:
        return str(int(score))
    return repr(score)


def plural_suffix(count: int) -> str:
    """Return the "s" that an English noun takes after ``count``."""
    return "" if count == 1 else "s"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Lay out rows in columns; the last column is left unpadded."""
    widths = [len(header) for header in headers]
    for row in rows:
        widths = [
            max(width, len(cell)) for width, cell in zip(widths, row, strict=True)
        ]
    lines = []
    for row in [headers, *rows]:
        cells = [
            cell.ljust(width) for cell, width in zip(row[:-1], widths[:-1], strict=True)
        ]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)
