"""The sessions page's cost chart as SVG: well-formed, bars as tall as their dollars, stacked per
day, every model named in the legend (escaped), and a plain message when there is nothing."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from memvault.core.session_records import DailyCost
from memvault.web.cost_chart import EMPTY, build_chart, chart_svg, money, nice_ceiling

SVG = "{http://www.w3.org/2000/svg}"


def cost(day: str, model: str, usd: float, calls: int = 1) -> DailyCost:
    return DailyCost(day, model, calls, 10 * calls, calls, usd)


def drawn(rows: list[DailyCost], days: tuple[str, ...] = ()) -> ET.Element:
    """The chart's SVG, parsed (it must be well-formed XML to parse at all)."""
    svg = chart_svg(build_chart(rows, days), title="Costs", description="per day")
    return ET.fromstring(str(svg))


def bars(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if "bar" in r.get("class", "").split()]


def test_bars_are_as_tall_as_their_dollars_and_stack_per_day() -> None:
    root = drawn(
        [
            cost("2026-03-01", "big", 1.0),
            cost("2026-03-01", "small", 0.25),
            cost("2026-03-03", "big", 0.5),
        ],
        days=("2026-03-01", "2026-03-02", "2026-03-03"),
    )
    found = {(b.get("data-day"), b.get("data-model")): b for b in bars(root)}
    assert set(found) == {("2026-03-01", "big"), ("2026-03-01", "small"), ("2026-03-03", "big")}
    height = {k: float(b.get("height", "0")) for k, b in found.items()}
    assert height[("2026-03-01", "big")] == pytest.approx(2 * height[("2026-03-03", "big")])
    assert height[("2026-03-01", "big")] == pytest.approx(4 * height[("2026-03-01", "small")])
    big, small = found[("2026-03-01", "big")], found[("2026-03-01", "small")]
    # stacked: the small model's bar sits right on top of the big one's, in the same column
    assert float(small.get("y", "0")) + height[("2026-03-01", "small")] == pytest.approx(
        float(big.get("y", "0"))
    )
    assert small.get("x") == big.get("x")
    # the day without costs keeps its place: day 3 is two columns right of day 1
    slot = float(found[("2026-03-03", "big")].get("x", "0")) - float(big.get("x", "0"))
    assert slot > 0 and float(big.get("width", "0")) < slot / 2
    assert {b.get("class") for b in bars(root)} == {"bar series-0", "bar series-1"}


def test_the_chart_is_named_and_its_legend_and_axes_are_labelled() -> None:
    root = drawn([cost("2026-03-01", "big", 0.75), cost("2026-03-02", "small", 0.1)])
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "cost-chart-title cost-chart-desc"
    assert root.find(f"{SVG}title").text == "Costs"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == "per day"  # type: ignore[union-attr]
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert "$1.00" in texts and "$0.00" in texts  # the top of the axis: 0.75 rounded up
    assert "Mar 1" in texts and "Mar 2" in texts and "Day (UTC)" in texts
    legend = root.find(f"{SVG}g[@class='legend']")
    assert legend is not None
    assert ["".join(t.itertext()) for t in legend.iter(f"{SVG}text")] == ["bigbig", "smallsmall"]
    # (a legend entry is the name and its <title>, which a long name needs in full)


def test_a_month_of_days_names_every_third_day_and_always_the_last() -> None:
    days = tuple(f"2026-03-{n:02d}" for n in range(1, 31))
    root = drawn([cost("2026-03-15", "big", 1.0)], days)
    axis = root.find(f"{SVG}g[@class='axis x-axis']")
    assert axis is not None
    labels = ["".join(t.itertext()) for t in axis.iter(f"{SVG}text")][:-1]  # bar the title
    assert labels == [f"Mar {n}" for n in range(3, 31, 3)]


def test_model_names_are_escaped_everywhere() -> None:
    evil = '<script>alert("x")</script>&'
    svg = str(chart_svg(build_chart([cost("2026-03-01", evil, 1.0)]), title=evil, description=""))
    assert "<script>" not in svg
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;" in svg
    root = ET.fromstring(svg)
    (bar,) = bars(root)
    assert bar.get("data-model") == evil  # the attribute reads back as the name itself


def test_no_costs_is_a_message_not_an_empty_chart() -> None:
    chart = build_chart([], days=("2026-03-01", "2026-03-02"))
    assert chart.empty and chart.days == ("2026-03-01", "2026-03-02")
    assert chart_svg(chart, title="Costs", description="") == EMPTY
    assert "No costs yet" in str(EMPTY)


def test_models_past_seven_share_one_colour_as_other() -> None:
    rows = [cost("2026-03-01", f"m{n}", float(10 - n)) for n in range(10)]
    chart = build_chart(rows)
    assert [m.model for m in chart.models] == [*(f"m{n}" for n in range(7)), "3 other models"]
    assert chart.models[-1].usd == pytest.approx(3 + 2 + 1)
    assert chart.total.usd == pytest.approx(sum(range(1, 11)))
    eight = build_chart(rows[:8])  # eight models: eight colours, no "other"
    assert [m.model for m in eight.models] == [f"m{n}" for n in range(8)]


def test_the_totals_add_up_per_day_and_per_model() -> None:
    chart = build_chart(
        [
            cost("2026-03-01", "a", 0.5, calls=2),
            cost("2026-03-01", "b", 0.25),
            cost("2026-03-02", "a", 1.0),
        ]
    )
    assert chart.day_totals == (0.75, 1.0)
    assert [(m.model, m.calls, m.usd) for m in chart.models] == [("a", 3, 1.5), ("b", 1, 0.25)]
    assert (chart.total.calls, chart.total.input_tokens, chart.total.usd) == (4, 40, 1.75)


@pytest.mark.parametrize(
    ("value", "top"),
    [
        (0.0, 1.0),
        (0.75, 1.0),
        (1.0, 1.0),
        (1.2, 2.0),
        (2.1, 2.5),
        (3.0, 5.0),
        (0.0031, 0.005),
        (73, 100),
    ],
)
def test_the_axis_top_is_a_round_number_at_or_above_the_tallest_bar(
    value: float, top: float
) -> None:
    assert nice_ceiling(value) == pytest.approx(top)


def test_axis_money_has_the_decimals_its_step_needs() -> None:
    assert money(0.5, 0.25) == "$0.50"
    assert money(25, 25) == "$25"
    assert money(0.00125, 0.00125) == "$0.00125"
