"""The report's two charts, drawn with matplotlib (Agg, no display): budget against
forecast per account group, and the deviation per account group.

Which rows: those the report's :class:`~followup_xl.report.blocks.Figure` names (by
default the rows the report describes, :func:`followup_xl.report.rows.focus`): the rows
that are not totals, without the kommunbidrag row and without rows that are zero in both
budget and forecast. Totals are left out on purpose: "Verksamhetens kostnader" is the
sum of the bars beside it, and at ten times their size it would squash them to slivers;
the kommunbidrag is the financing, not something the nämnd spends. The amounts are drawn
with the signs the Drift table prints, so chart and table read the same. Row names are
drawn literally (no mathtext: "Köp $x$" stays as typed).

Readable in black and white: budget and forecast differ by fill and hatching, favourable
and unfavourable deviations by grey level and hatching, and every deviation carries its
value as text. Swedish labels, numbers through :func:`followup_xl.domain.swedish.format_number`.
Deterministic: fixed size and resolution, no timestamp or software name in the PNG, so two
runs on the same figures give the same bytes (same matplotlib version).
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from followup_xl.domain.model import Result
from followup_xl.domain.model import RowResult
from followup_xl.report.rows import focus
from followup_xl.report.wording import own_text
from followup_xl.domain.swedish import format_number, to_decimal, unit_decimals

WIDTH_IN = 6.3  # 16 cm: the text width of an A4 page with 2,5 cm margins
BASE_HEIGHT_IN = 1.3  # axes, legend and margins
ROW_HEIGHT_IN = 0.38  # per account group
DPI = 200

_RC = {
    "font.family": "DejaVu Sans",  # ships with matplotlib and has å, ä, ö
    "font.size": 9.5,
    "axes.linewidth": 0.6,
    "axes.edgecolor": "0.3",
    "hatch.linewidth": 0.6,
    "svg.hashsalt": "followup-xl",
    "svg.fonttype": "none",
    "text.parse_math": False,  # row names are text, never formulas
}
_PNG_METADATA = {"Software": None}  # no version string: identical bytes run to run


def _height_in(n: int) -> float:
    return BASE_HEIGHT_IN + ROW_HEIGHT_IN * max(n, 1)


def _formatter(unit: str) -> FuncFormatter:
    dec = unit_decimals(unit)
    return FuncFormatter(lambda x, _pos: format_number(to_decimal(float(x)), dec))


def _new_figure(n: int) -> Figure:
    fig = Figure(figsize=(WIDTH_IN, _height_in(n)), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, out: Path | BinaryIO) -> None:
    fig.savefig(out, format="png", dpi=DPI, metadata=_PNG_METADATA)


def _style_axes(ax, unit: str, names: list[str]) -> None:
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()  # table order, top to bottom
    ax.xaxis.set_major_formatter(_formatter(unit))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
    ax.grid(axis="x", color="0.8", linewidth=0.5)
    ax.set_axisbelow(True)
    ax.axvline(0, color="black", linewidth=0.8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)


def _rows(result: Result, names: tuple[str, ...] | None) -> list[RowResult]:
    if names is None:
        return list(focus(result).groups)
    return [result.row(n) for n in names]


def _labels(groups: list[RowResult]) -> list[str]:
    return [own_text(g.name) or "" for g in groups]


def budget_forecast_chart(result: Result, out: Path | BinaryIO, title: str | None = None,
                          rows: tuple[str, ...] | None = None) -> None:
    """Horizontal bars, budget (light grey) beside forecast (white, hatched), per row."""
    groups = _rows(result, rows)
    s = result.settings
    year = f" {s.year}" if s.year else ""
    with matplotlib.rc_context(_RC):
        fig = _new_figure(len(groups))
        ax = fig.add_subplot()
        names = _labels(groups)
        pos = range(len(groups))
        h = 0.38
        ax.barh([p - h / 2 for p in pos], [float(g.budget) for g in groups], height=h,
                color="0.75", edgecolor="black", linewidth=0.6, label=f"Budget{year}")
        ax.barh([p + h / 2 for p in pos], [float(g.forecast) for g in groups], height=h,
                color="white", edgecolor="black", hatch="////", linewidth=0.6,
                label=f"Prognos helår{year}")
        _style_axes(ax, s.unit, names)
        ax.set_xlabel(f"Belopp i {s.unit}")
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
        if title:
            fig.suptitle(title)
        fig.tight_layout(pad=0.6)
        _save(fig, out)


def deviation_chart(result: Result, out: Path | BinaryIO, title: str | None = None,
                    rows: tuple[str, ...] | None = None) -> None:
    """Horizontal bars of the deviation per row, the value written at each bar."""
    groups = _rows(result, rows)
    s = result.settings
    dec = unit_decimals(s.unit)
    year = f" {s.year}" if s.year else ""
    with matplotlib.rc_context(_RC):
        fig = _new_figure(len(groups))
        ax = fig.add_subplot()
        names = _labels(groups)
        values = [float(g.deviation) for g in groups]
        good = [v > 0 for v in values]
        ax.barh(range(len(groups)), values, height=0.55,
                color=["0.45" if g else "white" for g in good],
                hatch=["" if g else "xxx" for g in good],
                edgecolor="black", linewidth=0.6)
        _style_axes(ax, s.unit, names)
        span = max((abs(v) for v in values), default=0) or 1.0
        ax.set_xlim(min(min(values, default=0), 0) - span * 0.25,
                    max(max(values, default=0), 0) + span * 0.25)
        for i, (g, v) in enumerate(zip(groups, values)):
            ax.annotate(format_number(g.deviation, dec), (v, i),
                        xytext=(4 if v >= 0 else -4, 0), textcoords="offset points",
                        ha="left" if v >= 0 else "right", va="center")
        ax.set_xlabel(f"Avvikelse prognos/budget{year}, {s.unit}")
        ax.legend(handles=[Patch(facecolor="0.45", edgecolor="black", linewidth=0.6,
                                 label="Bättre än budget"),
                           Patch(facecolor="white", edgecolor="black", hatch="xxx",
                                 linewidth=0.6, label="Sämre än budget")],
                  loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
        if title:
            fig.suptitle(title)
        fig.tight_layout(pad=0.6)
        _save(fig, out)


CHARTS = {"budget_prognos": budget_forecast_chart, "avvikelse": deviation_chart}


def draw(kind: str, result: Result, out: Path | BinaryIO, title: str | None = None,
         rows: tuple[str, ...] | None = None) -> None:
    """Draw the chart a :class:`followup_xl.report.blocks.Figure` names, of its rows."""
    CHARTS[kind](result, out, title, rows)

