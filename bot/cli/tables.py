"""Plain-text tables for the terminal, aligned by how wide Thai text looks."""

from __future__ import annotations

import unicodedata


def table(headers: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> str:
    """Columns aligned by display width; the columns in `right` (numbers) aligned right."""
    widths = [max(width(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        padded = []
        for i, cell in enumerate(cells):
            gap = " " * (widths[i] - width(cell))
            padded.append(gap + cell if i in right else cell + gap)
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def width(text: str) -> int:
    """Terminal columns `text` takes: Thai vowel and tone marks none, wide characters two."""
    columns = 0
    for char in text:
        if unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        columns += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return columns
