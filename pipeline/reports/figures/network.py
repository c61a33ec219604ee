"""The figures of the landing page and the clinic dashboards: the network's effects and
completeness, a clinic beside the network, its risk-adjusted benchmarks and its trends."""
from __future__ import annotations

from pipeline import contract
from pipeline.reports import fmt
from pipeline.reports.figures.layout import (
    INK, MUTED, CLINIC_COLOR, NETWORK_COLOR, BAND_COLORS, STACK_COLORS,
    CI_FIELDS, PERCENT_AXIS, figure, on, panel_axes, _merge,
    Rows, Point, interval_trace, interval_chart, _grouped, _effect_point,
    _responder_point,
)


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


