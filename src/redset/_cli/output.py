"""Text output of the command: members, scores and aligned tables."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["format_member", "format_score", "plural_suffix", "table"]


# Text that starts like a quoted string or a bytes literal is quoted too, so
# that it is never mistaken for one.
_QUOTE_PREFIXES = ("'", '"', "b'", 'b"')


def format_member(member: bytes) -> str:
    """Show a raw member as plain text where that is unambiguous.

    UTF-8 text is shown as a quoted Python string literal when it is empty,
    starts or ends with whitespace, contains a character that is not
    printable (newlines, control characters, non-ASCII spaces), or starts
    with a quote or ``b'``. Other text is shown as it is, inner spaces
    included, because every table puts the member in its last column.
    A member that is not UTF-8 is shown as a Python bytes literal.
    """
    try:
        text = member.decode("utf-8")
    except UnicodeDecodeError:
        return repr(member)
    plain = (
        text != ""
        and text.isprintable()
        and text.strip() == text
        and not text.startswith(_QUOTE_PREFIXES)
    )
    return text if plain else repr(text)


def format_score(score: float) -> str:
    """Show a score exactly, with no trailing ``.0`` on whole numbers."""
    if score.is_integer():
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
