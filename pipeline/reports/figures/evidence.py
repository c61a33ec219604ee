"""The figures of the evidence packs: effects by frequency band, the clinics' forest plot (or
their distribution on a network), and the dose-response meta-regressions."""
from __future__ import annotations

from pipeline.reports import fmt
from pipeline.reports.figures.layout import (
    INK, MUTED, CLINIC_COLOR, POOLED_COLOR, BAND_COLORS, figure,
    on, Rows, Point, interval_trace, _shapes, interval_chart,
    _effect_point, _responder_point,
)


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
