"""Text output of the command: members, scores and aligned tables."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["format_member", "format_score", "table"]


def format_member(member: bytes) -> str:
    """Show a raw member as text when it is UTF-8, else as a bytes literal.

    Text with characters that would break a line of output (newlines,
    control characters) is shown as a quoted Python string literal.
    """
    try:
        text = member.decode("utf-8")
    except UnicodeDecodeError:
        return repr(member)
    return text if text.isprintable() and text.strip() == text else repr(text)


def format_score(score: float) -> str:
    """Show a score exactly, with no trailing ``.0`` on whole numbers."""
    if score.is_integer():
        return str(int(score))
    return repr(score)


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
