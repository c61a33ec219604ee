"""The layout every figure shares: palette, Plotly template, the panels of an interval chart
(one row per estimate under bold group headers, a marker with its 95% CI as a horizontal
line), and a figure as a ``<div>``."""
from __future__ import annotations

from dataclasses import dataclass, field

import plotly.io as pio
from markupsafe import Markup

from pipeline import contract
from pipeline.reports import fmt

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
INK, MUTED, GRID, SHADE = "#1f2933", "#7b8794", "#e4e7eb", "#f3f5f8"
CLINIC_COLOR, NETWORK_COLOR, POOLED_COLOR = "#0072B2", "#8a939e", "#D55E00"
# Okabe-Ito, colour-blind safe; "all" in ink.
BAND_COLORS = {
    contract.ALL_BANDS: INK, "twice_weekly": "#0072B2", "weekly": "#009E73", "fortnightly": "#E69F00",
    "monthly": "#D55E00", contract.SINGLE_SESSION: "#CC79A7",
}
STACK_COLORS = ("#009E73", "#56B4E9", "#E69F00", "#d9dde2")
CI_FIELDS = {"g_z": ("g_z_ci_low", "g_z_ci_high"), "responder_rate": ("responder_ci_low", "responder_ci_high")}
CONFIG = {"displaylogo": False, "responsive": True,
          "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d", "toggleSpikelines"]}
ROW_PX, MIN_HEIGHT = 22, 220
PANEL_GAP = 0.07
PERCENT_AXIS = {"range": [0, 100], "ticksuffix": "%"}
AXIS = {"gridcolor": GRID, "linecolor": GRID, "zeroline": False, "automargin": True, "title": {"font": {"size": 12}}}
TEMPLATE = {"layout": {
    "font": {"family": FONT, "size": 12, "color": INK}, "paper_bgcolor": "white", "plot_bgcolor": "white",
    "hoverlabel": {"font": {"family": FONT}, "bgcolor": "white"}, "hovermode": "closest",
    "xaxis": AXIS, "yaxis": AXIS,
    "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
    "margin": {"l": 10, "r": 20, "t": 40, "b": 40},
}}


def to_div(fig: dict, div_id: str) -> Markup:
    """The figure as a ``<div>`` and its script; plotly.js itself is loaded once per page."""
    return Markup(pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id=div_id,
                              config=CONFIG, validate=False))


def figure(traces: list[dict], height: int, **layout) -> dict:
    return {"data": traces, "layout": {"template": TEMPLATE, "height": height, **layout}}


def _axis_key(kind: str, col: int) -> str:
    return kind + ("axis" if col == 1 else f"axis{col}")


def _ref(kind: str, col: int) -> str:
    return kind if col == 1 else f"{kind}{col}"


def on(trace: dict, col: int) -> dict:
    """Place a trace on panel ``col`` (1-based) of a side-by-side chart."""
    return {**trace, "xaxis": _ref("x", col), "yaxis": _ref("y", col)}


def panel_axes(widths: list[float], shared_y: bool = True, gap: float = PANEL_GAP) -> dict:
    """x (and y) axes of side-by-side panels; with ``shared_y`` the panels share the rows."""
    usable = 1 - gap * (len(widths) - 1)
    total, start, axes = sum(widths), 0.0, {}
    for col, width in enumerate(widths, start=1):
        end = start + usable * width / total
        axes[_axis_key("x", col)] = {"domain": [start, min(end, 1.0)], "anchor": _ref("y", col)}
        if col > 1:
            axes[_axis_key("y", col)] = ({"matches": "y", "showticklabels": False, "showgrid": False,
                                          "anchor": _ref("x", col)}
                                         if shared_y else {"anchor": _ref("x", col)})
        start = end + gap
    return axes


def _merge(axes: dict, extra: dict) -> dict:
    out = {k: dict(v) for k, v in axes.items()}
    for key, value in extra.items():
        out[key] = {**out.get(key, {}), **value}
    return out


# ---- interval charts -----------------------------------------------------------------

@dataclass
class Rows:
    """Row positions of an interval chart: group headers and items, top to bottom."""

    ticks: list[tuple[float, str]] = field(default_factory=list)
    shade: list[tuple[float, float]] = field(default_factory=list)
    _y: float = 0.0
    _top: float = 0.0

    def header(self, text: str) -> None:
        self._y -= 1 if not self.ticks else 1.6
        self.ticks.append((self._y, f"<b>{text}</b>"))
        self._top = self._y + 0.5

    def item(self, text: str, suppressed: bool = False) -> float:
        self._y -= 1
        self.ticks.append((self._y, text + ("  (suppressed)" if suppressed else "")))
        return self._y

    def close_group(self) -> None:
        self.shade.append((self._y - 0.5, self._top))

    @property
    def count(self) -> int:
        return len(self.ticks)

    def axis(self) -> dict:
        """The y axis: one tick per row, top to bottom."""
        return {"tickvals": [y for y, _ in self.ticks], "ticktext": [t for _, t in self.ticks],
                "range": [min((y for y, _ in self.ticks), default=0) - 0.8, 0.2], "showgrid": False, "ticks": ""}

    def height(self, extra: int = 110) -> int:
        return max(MIN_HEIGHT, ROW_PX * self.count + extra)


@dataclass
class Point:
    y: float
    value: float | None
    low: float | None
    high: float | None
    hover: str


def interval_trace(points: list[Point], name: str, color: str, symbol: str = "circle",
                   showlegend: bool = True, scale: float = 1.0) -> dict:
    shown = [p for p in points if p.value is not None]
    plus = [((p.high if p.high is not None else p.value) - p.value) * scale for p in shown]
    minus = [(p.value - (p.low if p.low is not None else p.value)) * scale for p in shown]
    return {
        "type": "scatter", "mode": "markers", "name": name, "legendgroup": name, "showlegend": showlegend,
        "x": [p.value * scale for p in shown], "y": [p.y for p in shown],
        "marker": {"color": color, "size": 8, "symbol": symbol},
        "error_x": {"type": "data", "symmetric": False, "array": plus, "arrayminus": minus,
                    "color": color, "thickness": 1.6, "width": 0},
        "hovertext": [p.hover for p in shown], "hoverinfo": "text",
    }


def _shapes(rows: Rows, zero: list[float | None]) -> list[dict]:
    """Every other group shaded (across all panels), and a dotted reference line per panel."""
    shade = [{"type": "rect", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": low, "y1": high,
              "fillcolor": SHADE, "line": {"width": 0}, "layer": "below"}
             for i, (low, high) in enumerate(rows.shade) if not i % 2]
    lines = [{"type": "line", "xref": _ref("x", c), "x0": x, "x1": x, "yref": "paper", "y0": 0, "y1": 1,
              "line": {"color": MUTED, "width": 1, "dash": "dot"}, "layer": "below"}
             for c, x in enumerate(zero, start=1) if x is not None]
    return shade + lines


TALL_ROWS = 16  # a chart this tall has its value axes on top, where the reader starts


def interval_chart(traces: list[dict], rows: Rows, titles: list[str], zero: list[float | None],
                   percent: tuple[int, ...] = (), widths: list[float] | None = None, **layout) -> dict:
    """A 1 x len(titles) interval chart; ``percent``: panels whose axis runs 0-100%."""
    axes = panel_axes(widths or [1.0] * len(titles))
    top = rows.count >= TALL_ROWS
    extra = {_axis_key("x", c): {"title": {"text": t}, "side": "top" if top else "bottom",
                                 **(PERCENT_AXIS if c in percent else {})}
             for c, t in enumerate(titles, start=1)}
    extra["yaxis"] = rows.axis()
    if top:
        layout = {"margin": {"t": 95, "b": 20}, "legend": {"yref": "container", "y": 1, "yanchor": "top"}, **layout}
    return figure(traces, rows.height(), shapes=_shapes(rows, zero), **_merge(axes, extra), **layout)


def _grouped(cells: list[dict]) -> list[tuple[str, list[dict]]]:
    out: dict[str, list[dict]] = {}
    for c in cells:
        out.setdefault(c["header"], []).append(c)
    return list(out.items())


def _effect_point(y: float, c: dict, text: dict) -> Point:
    hover = f"{c['header']} · {fmt.band_label(c['frequency_band'])}<br>g_z {text['g_z']}<br>n = {text['n']}"
    return Point(y, None if c["suppressed"] else c["g_z"], c["g_z_ci_low"], c["g_z_ci_high"], hover)


def _responder_point(y: float, c: dict, text: dict) -> Point:
    hover = (f"{c['header']} · {fmt.band_label(c['frequency_band'])}<br>responders {text['responder_rate']}"
             f"<br>n = {text['n']}")
    return Point(y, c["responder_rate"], c["responder_ci_low"], c["responder_ci_high"], hover)
