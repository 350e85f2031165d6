"""Result tables, printed with rich and written as Markdown from the same definition."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table


@dataclass
class Section:
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # Markdown paragraphs under the table

    def add(self, *cells: str) -> None:
        assert len(cells) == len(self.columns), (self.title, cells)
        self.rows.append(list(cells))

    def print(self, console: Console) -> None:
        table = Table(title=self.title)
        for i, column in enumerate(self.columns):
            table.add_column(column, justify="left" if i == 0 and _is_label(self) else "right")
        for row in self.rows:
            table.add_row(*row)
        console.print(table)

    def markdown(self) -> list[str]:
        align = ["---" if i == 0 and _is_label(self) else "---:" for i in range(len(self.columns))]
        lines = [f"## {self.title}", "", "| " + " | ".join(self.columns) + " |"]
        lines.append("|" + "|".join(align) + "|")
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        for note in self.notes:
            lines += ["", note]
        return [*lines, ""]


def _is_label(section: Section) -> bool:
    """A first column of words (not numbers) reads better left-aligned."""
    return any(
        row and not row[0].replace(",", "").replace(".", "").isdigit() for row in section.rows
    )
