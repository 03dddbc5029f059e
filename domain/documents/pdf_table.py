"""Bordered tables for the PDF invoice, drawn with a small greedy word wrap.

fpdf2's own `table()` lays out every cell twice through its full text engine, which costs tens
of milliseconds per order; a 1000-order package took most of a minute. Our cells are plain
Latin-1 text in one core font, so measuring with the font's width table is enough. Rows never
split across pages (headings repeat on the next page); a cell is cut at MAX_CELL_LINES lines so
every row fits on one page.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from fpdf import FPDF
from fpdf.fonts import CoreFont

FONT = "Helvetica"
BODY_SIZE = 8.0
LINE_HEIGHT = 3.6
PAD_X = 1.0
PAD_Y = 0.6
MAX_CELL_LINES = 30
CLIPPED = "[... continued in the HTML and JSON invoice]"
HEADING_FILL = 230


@dataclass(frozen=True)
class Column:
    """One table column: heading, width in mm, alignment, and whether its cells are bold."""

    title: str
    width: float
    align: Literal["L", "R"] = "L"
    bold: bool = False


class FontMeasure:
    """String widths in mm for one core font style at BODY_SIZE."""

    def __init__(self, pdf: FPDF, style: str) -> None:
        pdf.set_font(FONT, style, BODY_SIZE)
        font = pdf.current_font
        if not isinstance(font, CoreFont):
            raise TypeError("PDF tables use the core fonts only")
        self.style = style
        self.widths: dict[str, int] = font.cw
        self.scale = pdf.font_size_pt * 0.001 / pdf.k

    def __call__(self, text: str) -> float:
        widths = self.widths
        return sum(widths.get(char, 600) for char in text) * self.scale


def _break_word(word: str, max_width: float, measure: FontMeasure) -> list[str]:
    pieces: list[str] = []
    current, current_width = "", 0.0
    for char in word:
        char_width = measure(char)
        if current and current_width + char_width > max_width:
            pieces.append(current)
            current, current_width = "", 0.0
        current += char
        current_width += char_width
    pieces.append(current)
    return pieces


def wrap(text: str, max_width: float, measure: FontMeasure) -> list[str]:
    """Greedy word wrap; newlines break lines, words wider than a line break by character."""
    lines: list[str] = []
    space = measure(" ")
    for paragraph in text.split("\n"):
        current: str | None = None
        current_width = 0.0
        for word in paragraph.split(" "):
            word_width = measure(word)
            if current is not None and current_width + space + word_width <= max_width:
                current += " " + word
                current_width += space + word_width
                continue
            if current is not None:
                lines.append(current)
            *full, current = _break_word(word, max_width, measure)
            lines.extend(full)
            current_width = measure(current)
        lines.append(current or "")
    return lines


def _clip(lines: list[str], max_width: float, measure: FontMeasure) -> list[str]:
    if len(lines) <= MAX_CELL_LINES:
        return lines
    marker = wrap(CLIPPED, max_width, measure)
    return [*lines[: MAX_CELL_LINES - len(marker)], *marker]


class _Table:
    """One table being drawn: its columns and a width measure per font style."""

    def __init__(self, pdf: FPDF, columns: Sequence[Column]) -> None:
        self.pdf = pdf
        self.columns = columns
        self.regular = FontMeasure(pdf, "")
        self.bold = FontMeasure(pdf, "B")

    def _measure(self, column: Column, heading: bool) -> FontMeasure:
        return self.bold if heading or column.bold else self.regular

    def layout(self, cells: Sequence[str], heading: bool) -> list[list[str]]:
        wrapped: list[list[str]] = []
        for column, text in zip(self.columns, cells, strict=True):
            measure = self._measure(column, heading)
            inner = column.width - 2 * PAD_X
            wrapped.append(_clip(wrap(text, inner, measure), inner, measure))
        return wrapped

    @staticmethod
    def height(wrapped: list[list[str]]) -> float:
        return max(len(lines) for lines in wrapped) * LINE_HEIGHT + 2 * PAD_Y

    def draw(self, wrapped: list[list[str]], heading: bool) -> None:
        pdf = self.pdf
        top = pdf.get_y()
        height = self.height(wrapped)
        baseline = PAD_Y + LINE_HEIGHT / 2 + 0.35 * BODY_SIZE * 25.4 / 72
        x = pdf.l_margin
        pdf.set_fill_color(HEADING_FILL)
        for column, lines in zip(self.columns, wrapped, strict=True):
            pdf.rect(x, top, column.width, height, style="DF" if heading else "D")
            measure = self._measure(column, heading)
            pdf.set_font(FONT, measure.style, BODY_SIZE)
            for number, line in enumerate(lines):
                left = x + PAD_X
                if column.align == "R":
                    left = x + column.width - PAD_X - measure(line)
                pdf.text(left, top + baseline + number * LINE_HEIGHT, line)
            x += column.width
        pdf.set_y(top + height)


def draw_table(
    pdf: FPDF,
    columns: Sequence[Column],
    rows: Iterable[Sequence[str]],
    *,
    headings: bool = True,
) -> None:
    """Draw rows under a heading row; a row that does not fit starts a new page."""
    table = _Table(pdf, columns)
    titles = table.layout([column.title for column in columns], heading=True)
    heading_height = table.height(titles) if headings else 0.0
    started = False
    for cells in rows:
        wrapped = table.layout(cells, heading=False)
        needed = table.height(wrapped) + (0.0 if started else heading_height)
        if pdf.get_y() + needed > pdf.page_break_trigger:
            pdf.add_page()
            started = False
        if headings and not started:
            table.draw(titles, heading=True)
        started = True
        table.draw(wrapped, heading=False)
    if headings and not started:
        table.draw(titles, heading=True)
    pdf.set_font(FONT, "", BODY_SIZE)
