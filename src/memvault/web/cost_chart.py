"""The costs chart of the sessions page: stacked bars of US dollars per day, one colour per model,
drawn as SVG on the server so it reads without JavaScript.

:func:`build_chart` turns the vault's per-day-and-model sums into a :class:`CostChart` (the
days on the axis, the models in legend order, the dollars of every cell and the totals), which
the page shows twice: as the SVG of :func:`chart_svg` and as a table of the same numbers (the
accessible reading of the chart). Everything that comes from the vault (model names) is escaped
here; colours are CSS classes (``series-0`` … ``series-7`` in ``static/sessions.css``) so dark
mode can change them, with the light colours as presentation attributes when CSS is missing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

from memvault.core.session_records import DailyCost

SERIES = 8  # colours; the models past the 7 largest share the last one as "other"
LIGHT = ("#0b5cad", "#d9730d", "#1e7b34", "#b3261e", "#6d3fc0", "#0e8a8a", "#a15c00", "#6b7280")
WIDTH, PLOT_HEIGHT = 720, 220
LEFT, RIGHT, TOP = 72, 16, 16
AXIS_BELOW = 44  # day labels and the axis title under the plot
LEGEND_ROW, LEGEND_COLUMNS = 22, 3
EMPTY = Markup('<p class="chart-empty">No costs yet in this range.</p>')


@dataclass(frozen=True, slots=True)
class ModelTotal:
    """What one model (or "other") cost over the chart's days."""

    model: str
    calls: int
    input_tokens: int
    output_tokens: int
    usd: float


@dataclass(frozen=True, slots=True)
class CostChart:
    days: tuple[str, ...]  # YYYY-MM-DD, every day of the range, oldest first
    models: tuple[ModelTotal, ...]  # legend order: the most expensive first, "other" last
    cells: tuple[tuple[float, ...], ...]  # dollars per day (row) and model (column)

    @property
    def empty(self) -> bool:
        return not self.models

    @property
    def day_totals(self) -> tuple[float, ...]:
        return tuple(sum(row) for row in self.cells)

    @property
    def total(self) -> ModelTotal:
        return ModelTotal(
            "total",
            sum(m.calls for m in self.models),
            sum(m.input_tokens for m in self.models),
            sum(m.output_tokens for m in self.models),
            sum(m.usd for m in self.models),
        )


def build_chart(rows: Iterable[DailyCost], days: Sequence[str] = ()) -> CostChart:
    """The chart of ``rows`` over ``days`` (days without costs stay on the axis, as gaps);
    a row's day that ``days`` lacks is added, so the chart always shows every row."""
    rows = list(rows)
    axis = tuple(sorted({*days, *(r.day for r in rows)}))
    by_model: dict[str, list[DailyCost]] = {}
    for row in rows:
        by_model.setdefault(row.model, []).append(row)
    ranked = sorted(by_model, key=lambda m: (-sum(r.usd for r in by_model[m]), m))
    kept, rest = ranked[: SERIES - 1], ranked[SERIES - 1 :]
    if len(rest) == 1:
        kept, rest = ranked, []
    groups = [(m, by_model[m]) for m in kept]
    if rest:
        groups.append((f"{len(rest)} other models", [r for m in rest for r in by_model[m]]))
    column = {day: n for n, day in enumerate(axis)}
    cells = [[0.0] * len(groups) for _ in axis]
    for g, (_, members) in enumerate(groups):
        for row in members:
            cells[column[row.day]][g] += row.usd
    return CostChart(
        days=axis,
        models=tuple(_model_total(name, members) for name, members in groups),
        cells=tuple(tuple(row) for row in cells),
    )


def _model_total(name: str, rows: list[DailyCost]) -> ModelTotal:
    return ModelTotal(
        name,
        sum(r.calls for r in rows),
        sum(r.input_tokens for r in rows),
        sum(r.output_tokens for r in rows),
        sum(r.usd for r in rows),
    )


def chart_svg(chart: CostChart, *, title: str, description: str) -> Markup:
    """The chart as one ``<svg>`` (role img, its <title> and <desc> named by aria-labelledby);
    a paragraph saying there are no costs when the chart is empty."""
    if chart.empty:
        return EMPTY
    top = nice_ceiling(max(chart.day_totals))
    legend_rows = math.ceil(len(chart.models) / LEGEND_COLUMNS)
    height = TOP + PLOT_HEIGHT + AXIS_BELOW + legend_rows * LEGEND_ROW + 8
    parts = [
        f'<svg class="cost-chart" role="img" viewBox="0 0 {WIDTH} {height}"'
        ' aria-labelledby="cost-chart-title cost-chart-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="cost-chart-title">{escape(title)}</title>',
        f'<desc id="cost-chart-desc">{escape(description)}</desc>',
        *_y_axis(top),
        *_bars(chart, top),
        *_x_axis(chart.days),
        *_legend(chart.models, TOP + PLOT_HEIGHT + AXIS_BELOW + 4),
        "</svg>",
    ]
    return Markup("".join(parts))


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above ``value`` (the top of the
    dollar axis); 1 for nothing."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if step * power >= value * (1 - 1e-12):
            return step * power
    return 10.0 * power  # pragma: no cover (the loop's last step always fits)


def money(value: float, step: float) -> str:
    """Dollars with as many decimals as ``step`` needs (at least two below a dollar)."""
    decimals = next(d for d in range(8) if abs(round(step, d) - step) <= step * 1e-9)
    if step < 1:
        decimals = max(decimals, 2)
    return f"${value:,.{decimals}f}"


def _y(value: float, top: float) -> float:
    return TOP + PLOT_HEIGHT - value / top * PLOT_HEIGHT


def _y_axis(top: float) -> list[str]:
    step = top / 4
    parts = ['<g class="axis y-axis">']
    for n in range(5):
        y = _y(step * n, top)
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"'
            ' stroke="#d6dbe1"/>'
            f'<text x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">{money(step * n, step)}</text>'
        )
    middle = TOP + PLOT_HEIGHT / 2
    parts.append(
        f'<text class="axis-title" x="14" y="{middle:.1f}" text-anchor="middle"'
        f' transform="rotate(-90 14 {middle:.1f})">US dollars</text></g>'
    )
    return parts


def _bars(chart: CostChart, top: float) -> list[str]:
    slot = (WIDTH - LEFT - RIGHT) / len(chart.days)
    width = max(1.0, slot * 0.7)
    parts = ['<g class="bars">']
    for n, (day, row) in enumerate(zip(chart.days, chart.cells, strict=True)):
        x = LEFT + n * slot + (slot - width) / 2
        base = 0.0
        for series, (model, usd) in enumerate(zip(chart.models, row, strict=True)):
            if usd <= 0:
                continue
            y0, y1 = _y(base, top), _y(base + usd, top)
            base += usd
            parts.append(
                f'<rect class="bar series-{series}" data-model="{escape(model.model)}"'
                f' data-day="{day}" x="{x:.2f}" y="{y1:.2f}" width="{width:.2f}"'
                f' height="{y0 - y1:.2f}" fill="{LIGHT[series]}">'
                f"<title>{_day_label(day)}: {escape(model.model)} ${usd:,.4f}</title></rect>"
            )
    parts.append("</g>")
    return parts


def _x_axis(days: tuple[str, ...]) -> list[str]:
    slot = (WIDTH - LEFT - RIGHT) / len(days)
    every = max(1, math.ceil(len(days) / 10))  # at most ten labels: they must not overlap
    baseline = TOP + PLOT_HEIGHT
    parts = [
        f'<g class="axis x-axis"><line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{baseline}"'
        f' y2="{baseline}" stroke="#5b6470"/>'
    ]
    for n, day in enumerate(days):
        if (len(days) - 1 - n) % every:  # counted from the last day, which is always named
            continue
        x = LEFT + (n + 0.5) * slot
        parts.append(
            f'<text x="{x:.1f}" y="{baseline + 16}" text-anchor="middle">{_day_label(day)}</text>'
        )
    parts.append(
        f'<text class="axis-title" x="{(LEFT + WIDTH - RIGHT) / 2:.1f}" y="{baseline + 36}"'
        ' text-anchor="middle">Day (UTC)</text></g>'
    )
    return parts


def _legend(models: tuple[ModelTotal, ...], top: float) -> list[str]:
    column = (WIDTH - LEFT - RIGHT) / LEGEND_COLUMNS
    parts = ['<g class="legend">']
    for n, model in enumerate(models):
        x = LEFT + (n % LEGEND_COLUMNS) * column
        y = top + (n // LEGEND_COLUMNS) * LEGEND_ROW
        name = model.model if len(model.model) <= 28 else model.model[:27] + "…"
        parts.append(
            f'<rect class="swatch series-{n}" x="{x:.1f}" y="{y:.1f}" width="12" height="12"'
            f' fill="{LIGHT[n]}"/>'
            f'<text x="{x + 18:.1f}" y="{y + 11:.1f}">{escape(name)}'
            f"<title>{escape(model.model)}</title></text>"
        )
    parts.append("</g>")
    return parts


def _day_label(day: str) -> str:
    """``Mar 1`` for 2026-03-01 (the year is in the range above the chart)."""
    try:
        moment = date.fromisoformat(day)
    except ValueError:
        return str(escape(day))
    return f"{moment:%b} {moment.day}"
