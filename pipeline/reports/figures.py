"""Plotly figures of the reports, as plain figure dicts ({"data": [...], "layout": {...}}).

Plain dicts because building hundreds of validated ``go`` objects costs seconds per run; the
tests validate every figure with ``go.Figure(fig)`` instead. Builders take small lists of dicts
(already suppressed) and use ``fmt`` for every number shown in a hover.

Interval charts share one layout: one row per estimate under bold group headers, a marker with
its 95% CI as a horizontal line, panels side by side sharing the rows. A suppressed estimate has
no marker and its row label says so.
"""
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


# ---- the landing page ------------------------------------------------------------------

def effect_overview(cells: list[dict], min_n: int) -> dict:
    """g_z and responder rate per condition (its main measure) x frequency band, network level.

    ``cells``: effect-size rows with an extra ``header`` key naming their group.
    """
    rows, by_band = Rows(), {}
    for group, items in _grouped(cells):
        rows.header(group)
        for cell in items:
            y = rows.item(fmt.band_label(cell["frequency_band"]), cell["suppressed"])
            by_band.setdefault(cell["frequency_band"], []).append((y, cell, fmt.effect_row(cell, min_n)))
        rows.close_group()
    traces = []
    for band in sorted(by_band, key=fmt.band_order):
        color, name = BAND_COLORS.get(band, INK), fmt.band_label(band)
        symbol = "diamond" if band == contract.ALL_BANDS else "circle"
        traces.append(on(interval_trace([_effect_point(*i) for i in by_band[band]], name, color, symbol), 1))
        traces.append(on(interval_trace([_responder_point(*i) for i in by_band[band]], name, color, symbol,
                                        showlegend=False, scale=100), 2))
    return interval_chart(traces, rows, ["effect size g_z (95% CI)", "responders, % (95% CI)"], [0, None],
                          percent=(2,), widths=[0.55, 0.45])


COMPLETENESS_PARTS = (
    ("baseline and final", lambda r: r["episodes_complete"]),
    ("baseline only", lambda r: r["episodes_with_baseline"] - r["episodes_complete"]),
    ("scores without a baseline", lambda r: r["episodes_scored"] - r["episodes_with_baseline"]),
    ("no score of the measure", lambda r: r["episodes"] - r["episodes_scored"]),
)


def completeness_bars(rows_in: list[dict]) -> dict:
    """Share of a condition's episodes with a baseline and a final score, per measure (stacked)."""
    rows, ys, shown = Rows(), [], []
    for group, items in _grouped(rows_in):
        rows.header(group)
        for r in items:
            y = rows.item(fmt.measure_label(r["measure"]), r["suppressed"])
            if not r["suppressed"] and r["episodes"]:
                ys.append(y)
                shown.append(r)
        rows.close_group()
    traces = []
    for (name, value), color in zip(COMPLETENESS_PARTS, STACK_COLORS):
        share = [100 * value(r) / r["episodes"] for r in shown]
        traces.append({
            "type": "bar", "orientation": "h", "name": name, "x": share, "y": ys, "width": 0.7,
            "marker": {"color": color}, "hoverinfo": "text",
            "hovertext": [f"{r['header']} · {fmt.measure_label(r['measure'])}<br>{name}: "
                          f"{fmt.number(s, 1)}% of {fmt.count(r['episodes'])} episodes" for r, s in zip(shown, share)],
        })
    return figure(traces, rows.height(), barmode="stack", yaxis=rows.axis(), margin={"t": 95, "b": 20},
                  legend={"yref": "container", "y": 1, "yanchor": "top", "traceorder": "normal"},
                  xaxis={**PERCENT_AXIS, "side": "top", "title": {"text": "share of the condition's episodes"}})


# ---- the clinic dashboard ----------------------------------------------------------------

def clinic_comparison(series: list[dict], min_n: int, text=None) -> dict:
    """g_z and responder rate by frequency band, the clinic beside the network: one pair of
    traces per condition x measure, ``meta`` = "condition|measure" (the page's selects show one).

    ``series``: dicts with condition_group, measure, clinic and network (rows by band);
    ``text``: a row's display text (default ``fmt.effect_row``).
    """
    text = text or (lambda r: fmt.effect_row(r, min_n))
    labels = [_tick(b) for b in (contract.ALL_BANDS, *contract.BAND_ORDER)]
    traces = []
    for i, s in enumerate(series):
        key = f"{s['condition_group']}|{s['measure']}"
        for who, color, rows in (("this clinic", CLINIC_COLOR, s["clinic"]), ("network", NETWORK_COLOR, s["network"])):
            for col, name in ((1, "g_z"), (2, "responder_rate")):
                traces.append(on(_band_trace(rows, who, color, name, text, key, i == 0, col == 1), col))
    band_axis = {"categoryorder": "array", "categoryarray": labels, "tickangle": 0, "type": "category"}
    axes = _merge(panel_axes([1, 1], shared_y=False, gap=0.1), {
        "xaxis": band_axis, "xaxis2": band_axis,
        "yaxis": {"title": {"text": "effect size g_z (95% CI)"}, "zeroline": True, "zerolinecolor": MUTED},
        "yaxis2": {**PERCENT_AXIS, "title": {"text": "responders, % (95% CI)"}},
    })
    return figure(traces, 380, scattermode="group", scattergap=0.55, legend={"y": 1.04}, **axes)


def _tick(band: str) -> str:
    """A band as a category label on two lines (``twice<br>weekly``), so labels never overlap."""
    return fmt.band_label(band).replace(" ", "<br>", 1)


def _band_trace(rows: list[dict], who: str, color: str, name: str, text, key: str,
                visible: bool, legend: bool) -> dict:
    low, high = CI_FIELDS[name]
    scale = 100 if name == "responder_rate" else 1
    shown = [r for r in rows if r.get(name) is not None and not r["suppressed"]]
    texts = [text(r) for r in shown]
    what = "g_z" if name == "g_z" else "responders"
    return {
        "type": "scatter", "mode": "markers", "name": who, "legendgroup": who, "showlegend": legend,
        "visible": visible, "meta": key,
        "x": [_tick(r["frequency_band"]) for r in shown], "y": [r[name] * scale for r in shown],
        "marker": {"color": color, "size": 9, "symbol": "circle" if who == "this clinic" else "diamond"},
        "error_y": {"type": "data", "symmetric": False, "color": color, "thickness": 1.6, "width": 0,
                    "array": [(r[high] - r[name]) * scale for r in shown],
                    "arrayminus": [(r[name] - r[low]) * scale for r in shown]},
        "hovertext": [f"{who} · {fmt.band_label(r['frequency_band'])}<br>{what} {t[name]}<br>n = {t['n']}"
                      for r, t in zip(shown, texts)],
        "hoverinfo": "text",
    }


def benchmark_chart(rows_in: list[dict]) -> dict:
    """Observed minus expected improvement and responder rate (risk-adjusted), with 95% CIs."""
    rows, diff, resp = Rows(), [], []
    for group, items in _grouped(rows_in):
        rows.header(group)
        for r in items:
            y = rows.item(fmt.measure_label(r["measure"]), r["suppressed"])
            hover = (f"{group} · {fmt.measure_label(r['measure'])}<br>observed {fmt.number(r['observed_improvement'])}"
                     f", expected {fmt.number(r['expected_improvement'])}<br>n = {fmt.count(r['n'])}")
            diff.append(Point(y, r["difference"], r["difference_ci_low"], r["difference_ci_high"], hover))
            resp.append(Point(y, r["responder_difference"], r["responder_difference_ci_low"],
                              r["responder_difference_ci_high"], hover))
        rows.close_group()
    traces = [on(interval_trace(diff, "observed - expected", CLINIC_COLOR), 1),
              on(interval_trace(resp, "observed - expected", CLINIC_COLOR, showlegend=False, scale=100), 2)]
    return interval_chart(traces, rows, ["improvement: observed - expected (measure units)",
                                         "responders: observed - expected (percentage points)"], [0, 0],
                          showlegend=False)


def trend_chart(series: list[dict]) -> dict:
    """A clinic's g_z with its 95% CI by the period its episodes started, one line per
    condition (its main measure); suppressed periods leave a gap."""
    traces = []
    for i, s in enumerate(series):
        shown = [r for r in s["rows"] if not r["suppressed"] and r["g_z"] is not None]
        if not shown:
            continue
        color = STACK_COLORS[i % len(STACK_COLORS)] if i >= 1 else CLINIC_COLOR
        traces.append({
            "type": "scatter", "mode": "lines+markers", "name": f"{fmt.condition_label(s['condition_group'])} · {fmt.measure_label(s['measure'])}",
            "x": [r["period"] for r in shown], "y": [r["g_z"] for r in shown],
            "error_y": {"type": "data", "symmetric": False, "array": [r["g_z_ci_high"] - r["g_z"] for r in shown],
                        "arrayminus": [r["g_z"] - r["g_z_ci_low"] for r in shown], "thickness": 1.2, "width": 3},
            "line": {"color": color}, "marker": {"color": color},
            "hovertext": [f"{fmt.condition_label(s['condition_group'])} · {r['period']}<br>g_z {fmt.number(r['g_z'])}"
                          f" [{fmt.number(r['g_z_ci_low'])}, {fmt.number(r['g_z_ci_high'])}]<br>n = {fmt.count(r['n'])}"
                          for r in shown],
            "hoverinfo": "text",
        })
    return figure(traces, 360, xaxis={"type": "category", "title": {"text": "episodes started in"}},
                  yaxis={"title": {"text": "g_z (95% CI)"}, "zeroline": True}, legend={"orientation": "h", "y": -0.35})


# ---- the evidence pack -------------------------------------------------------------------

def bands_chart(cells: list[dict], min_n: int, mcid_text: str) -> dict:
    """One measure of one condition: g_z and responder rate per frequency band (network)."""
    rows, g, r = Rows(), [], []
    for c in cells:
        y = rows.item(fmt.band_label(c["frequency_band"]), c["suppressed"])
        c = {**c, "header": fmt.measure_label(c["measure"])}
        text = fmt.effect_row(c, min_n)
        g.append(_effect_point(y, c, text))
        r.append(_responder_point(y, c, text))
    traces = [on(interval_trace(g, "g_z", INK), 1), on(interval_trace(r, "responders", CLINIC_COLOR, scale=100), 2)]
    return interval_chart(traces, rows, ["effect size g_z (95% CI)", f"responders, % (improved by >= {mcid_text})"],
                          [0, None], percent=(2,), showlegend=False, margin={"t": 15})


def forest(clinics: list[dict], pooled: dict | None) -> dict:
    """Clinic SMCRs with 95% CIs and, when pooled, the random-effects diamond with its
    prediction interval. ``clinics``: dicts with clinic_id, n, smcr, smcr_ci_low/high, suppressed."""
    rows, pts = Rows(), []
    for c in clinics:
        label = c["clinic_id"] if c["suppressed"] else f"{c['clinic_id']}  n = {fmt.count(c['n'])}"
        y = rows.item(label, c["suppressed"])
        text = fmt.with_ci(c.get("smcr"), c.get("smcr_ci_low"), c.get("smcr_ci_high"))
        pts.append(Point(y, None if c["suppressed"] else c.get("smcr"), c.get("smcr_ci_low"), c.get("smcr_ci_high"),
                         f"{c['clinic_id']}<br>SMCR {text}<br>n = {fmt.count(c['n'])}"))
    traces = [interval_trace(pts, "clinics", INK, symbol="square")]
    if pooled:
        y = rows.item(f"<b>pooled ({pooled['method']}, k = {pooled['k']})</b>")
        traces += _diamond(y, pooled)
    return figure(traces, rows.height(100), showlegend=False, yaxis=rows.axis(), margin={"t": 15},
                  xaxis={"title": {"text": "SMCR (95% CI)"}}, shapes=_shapes(rows, [0]))


FOREST_MAX_CLINICS = 60  # more clinics than this: their distribution, not one row each


def clinic_distribution(clinics: list[dict], pooled: dict | None) -> dict:
    """Many clinics' SMCRs as a histogram (one bar per range of values, its height the number of
    clinics), with the random-effects pooled estimate, its 95% CI and prediction interval when
    pooled. Suppressed clinics are left out (the caption says how many)."""
    values = [c["smcr"] for c in clinics if not c["suppressed"] and c.get("smcr") is not None]
    traces = [{"type": "histogram", "x": values, "name": "clinics", "nbinsx": 40,
               "marker": {"color": INK, "opacity": 0.75, "line": {"color": "white", "width": 0.5}},
               "hovertemplate": "SMCR %{x}<br>%{y} clinics<extra></extra>"}]
    shapes = [{"type": "line", "xref": "x", "x0": 0, "x1": 0, "yref": "paper", "y0": 0, "y1": 1,
               "line": {"color": MUTED, "width": 1, "dash": "dot"}, "layer": "below"}]
    if pooled:
        if pooled.get("pred_low") is not None and pooled.get("pred_high") is not None:
            shapes.append({"type": "rect", "xref": "x", "x0": pooled["pred_low"], "x1": pooled["pred_high"],
                           "yref": "paper", "y0": 0, "y1": 1, "fillcolor": POOLED_COLOR, "opacity": 0.08,
                           "line": {"width": 0}, "layer": "below"})
        shapes.append({"type": "rect", "xref": "x", "x0": pooled["ci_low"], "x1": pooled["ci_high"], "yref": "paper",
                       "y0": 0, "y1": 1, "fillcolor": POOLED_COLOR, "opacity": 0.3, "line": {"width": 0}, "layer": "below"})
        hover = (f"pooled ({pooled['method']}, k = {pooled['k']}) {fmt.with_ci(pooled['estimate'], pooled['ci_low'], pooled['ci_high'])}"
                 f"<br>prediction interval {fmt.ci(pooled['pred_low'], pooled['pred_high'])}")
        traces.append({"type": "scatter", "mode": "lines", "name": "pooled", "hoverinfo": "text", "hovertext": hover,
                       "x": [pooled["estimate"], pooled["estimate"]], "y": [0, 1], "yaxis": "y2",
                       "line": {"color": POOLED_COLOR, "width": 2.5}})
    return figure(traces, 340, showlegend=False, bargap=0.05, margin={"t": 15}, shapes=shapes,
                  xaxis={"title": {"text": "SMCR of a clinic (all frequencies)"}},
                  yaxis={"title": {"text": "clinics"}, "rangemode": "tozero"},
                  yaxis2={"overlaying": "y", "range": [0, 1], "visible": False, "fixedrange": True})


def _diamond(y: float, p: dict) -> list[dict]:
    hover = (f"pooled {fmt.with_ci(p['estimate'], p['ci_low'], p['ci_high'])}<br>prediction interval "
             f"{fmt.ci(p['pred_low'], p['pred_high'])}<br>tau2 = {fmt.number(p['tau2'], 3)}, "
             f"I2 = {fmt.number(p['i2'], 1)}%")
    out = []
    if p.get("pred_low") is not None and p.get("pred_high") is not None:
        out.append({"type": "scatter", "mode": "lines", "name": "prediction interval", "hoverinfo": "skip",
                    "x": [p["pred_low"], p["pred_high"]], "y": [y, y],
                    "line": {"color": POOLED_COLOR, "width": 1.5, "dash": "dot"}})
    out.append({"type": "scatter", "mode": "lines", "name": "pooled", "fill": "toself", "fillcolor": POOLED_COLOR,
                "x": [p["ci_low"], p["estimate"], p["ci_high"], p["estimate"], p["ci_low"]],
                "y": [y, y + 0.35, y, y - 0.35, y], "line": {"color": POOLED_COLOR, "width": 1},
                "hoverinfo": "text", "hovertext": hover, "hoveron": "fills+points"})
    return out


def dose_chart(points: list[dict], fit: dict, x_title: str) -> dict:
    """Cell effect sizes (SMCR) against a dose moderator, sized by precision, one colour per
    frequency band, with the meta-regression line."""
    top = max((1 / p["vi"] for p in points if p.get("vi")), default=1.0)
    groups: dict[str | None, list[dict]] = {}
    for p in points:
        groups.setdefault(None if p.get("duration_band") else p.get("frequency_band"), []).append(p)
    traces = [_dose_points(group, band, top, x_title) for band, group in
              sorted(groups.items(), key=lambda kv: fmt.band_order(kv[0] or ""))]
    xs = [p["x"] for p in points]
    if xs:
        lo, hi = min(xs), max(xs)
        traces.append({"type": "scatter", "mode": "lines", "name": "meta-regression", "hoverinfo": "skip",
                       "x": [lo, hi], "y": [fit["intercept"] + fit["slope"] * lo, fit["intercept"] + fit["slope"] * hi],
                       "line": {"color": POOLED_COLOR, "width": 2}})
    return figure(traces, 320, showlegend=len(groups) > 1, margin={"t": 40}, xaxis={"title": {"text": x_title}},
                  yaxis={"title": {"text": "effect size (SMCR)"}, "zeroline": True, "zerolinecolor": MUTED})


def _dose_points(points: list[dict], band: str | None, top: float, x_title: str) -> dict:
    labelled = band is None  # session-length cells: few, each labelled with its band
    return {
        "type": "scatter", "mode": "markers+text" if labelled else "markers", "hoverinfo": "text",
        "name": fmt.band_label(band) if band else "session-length band", "cliponaxis": False,
        "x": [p["x"] for p in points], "y": [p["yi"] for p in points],
        "text": [_point_label(p) for p in points] if labelled else None, "textposition": "top center",
        "textfont": {"size": 10, "color": MUTED},
        "marker": {"size": [7 + 16 * ((1 / p["vi"] if p.get("vi") else 1.0) / top) ** 0.5 for p in points],
                   "color": BAND_COLORS.get(band, INK), "opacity": 0.85, "line": {"width": 1, "color": "white"}},
        "hovertext": [f"{_point_label(p)}<br>{x_title}: {fmt.number(p['x'])}<br>SMCR {fmt.number(p['yi'])}"
                      f"<br>n = {fmt.count(p['n'])}" for p in points],
    }


def _point_label(p: dict) -> str:
    if p.get("duration_band"):
        return fmt.duration_label(p["duration_band"])
    parts = (p.get("clinic_id"), fmt.band_label(p["frequency_band"]) if p.get("frequency_band") else None)
    return " · ".join(x for x in parts if x)
