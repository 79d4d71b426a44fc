"""Charts drawn on the server with matplotlib: SVG inline in admin pages, PNG for emails (mail clients
do not show SVG). One drawing function per chart, two encoders; matplotlib loads lazily with the Agg
backend, so importing this module costs nothing and no display is ever needed.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

PALETTE = ("#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2")
_SVG_START = re.compile(r"<svg\b")
# No RDF block (creator, date, format): smaller pages and stable output.
SVG_METADATA = {"Creator": None, "Date": None, "Format": None, "Type": None}


@dataclass(frozen=True)
class Series:
    """One line (or bar group) of a chart: a name and one value per label (None: no data)."""

    name: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class Chart:
    """What to draw: a title, the x labels, the series, and whether values are shares (0..1)."""

    title: str
    labels: Sequence[str]
    series: Sequence[Series]
    percent: bool = False
    kind: str = "line"  # or "bar"
    y_label: str = ""


def _figure(chart: Chart) -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    figure = Figure(figsize=(7.5, 3.0), dpi=100, layout="constrained")
    axes = figure.subplots()
    positions = list(range(len(chart.labels)))
    width = 0.8 / max(len(chart.series), 1)
    for index, series in enumerate(chart.series):
        colour = PALETTE[index % len(PALETTE)]
        values = [float("nan") if value is None else value for value in series.values]
        if chart.kind == "bar":
            offsets = [p - 0.4 + width * (index + 0.5) for p in positions]
            axes.bar(offsets, values, width=width, label=series.name, color=colour)
        else:
            axes.plot(positions, values, marker="o", markersize=3, label=series.name, color=colour)
    axes.set_xticks(positions, list(chart.labels), rotation=30 if len(positions) > 8 else 0, fontsize=8)
    axes.set_title(chart.title, fontsize=10, loc="left")
    if chart.y_label:
        axes.set_ylabel(chart.y_label, fontsize=8)
    if chart.percent:
        axes.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
        axes.set_ylim(0, 1.05)
    axes.tick_params(axis="y", labelsize=8)
    axes.grid(axis="y", alpha=0.3)
    axes.spines[["top", "right"]].set_visible(False)
    if chart.series:
        axes.legend(fontsize=8, frameon=False, loc="best")
    if not chart.labels:
        axes.text(0.5, 0.5, "No data in this range", ha="center", va="center", transform=axes.transAxes)
    return figure


def chart_svg(chart: Chart) -> str:
    """The chart as an ``<svg>`` element to inline in a page (no XML prolog, text kept as text)."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "parcelfront"}):
        _figure(chart).savefig(buffer, format="svg", metadata=SVG_METADATA)
    text = buffer.getvalue()
    match = _SVG_START.search(text)
    return text[match.start() :] if match else text


def chart_png(chart: Chart) -> bytes:
    """The chart as PNG bytes, for an email's inline image."""
    buffer = io.BytesIO()
    _figure(chart).savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()
