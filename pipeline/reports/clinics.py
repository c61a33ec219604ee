"""The clinic director's dashboard, one page per clinic: its activity, its effects beside the
network's, risk-adjusted benchmarks (when published), completeness and its own data quality."""
from __future__ import annotations

import json

from markupsafe import Markup

from pipeline import contract
from pipeline.reports import figures, fmt, methods, unchanged
from pipeline.reports.data import ReportData, group
from pipeline.reports.landing import completeness_rows, condition_episodes, total
from pipeline.reports.pages import Page


def comparison_series(data: ReportData, clinic_id: str) -> list[dict]:
    """Per condition x measure of the clinic: its cells by band and the network's."""
    out = []
    for cond in data.conditions():
        main = data.main_measure(cond)
        for measure in sorted(data.measures_of(cond), key=lambda m: m != main):
            clinic_rows = data.cells(cond, measure, clinic_id)
            if clinic_rows:
                out.append({"condition_group": cond, "measure": measure, "clinic": clinic_rows,
                            "network": data.cells(cond, measure)})
    return out


def comparison_table(series: list[dict], min_n: int, text=None) -> list[dict]:
    """The table under the comparison chart; ``text``: a row's display text (default
    ``fmt.effect_row``; ``ReportData.effect_text`` formats each row once per run)."""
    text = text or (lambda r: fmt.effect_row(r, min_n))
    rows = []
    for s in series:
        network = {r["frequency_band"]: r for r in s["network"]}
        for r in s["clinic"]:
            net = network.get(r["frequency_band"])
            rows.append({"condition_group": s["condition_group"], "measure": s["measure"],
                         "frequency_band": r["frequency_band"], "clinic_row": r, "clinic": text(r),
                         "network_row": net, "network": text(net) if net else None})
    return rows


def filter_options(series: list[dict]) -> Markup:
    """condition -> its measures (main measure first), for the page's two selects."""
    options: dict[str, list[str]] = {}
    for s in series:
        options.setdefault(s["condition_group"], []).append(s["measure"])
    return Markup(json.dumps(options).replace("</", "<\\/"))


def benchmark_rows(data: ReportData, clinic_id: str) -> list[dict] | None:
    mine = data.benchmarks_of(clinic_id)
    if mine is None:
        return None
    by_condition = group(mine, "condition_group")
    out = []
    for cond in data.conditions():
        rows = by_condition.get(cond, [])
        out += [{**r, "header": fmt.condition_label(cond)} for r in sorted(rows, key=lambda r: r["measure"])]
    return out


def trend_series(data: ReportData, clinic_id: str) -> list[dict]:
    """Per condition of the clinic, its main measure's effect by start period (when published)."""
    mine = data.trends_of(clinic_id)
    if not mine:
        return []
    by_cell = group(mine, "condition_group", "measure")
    out = []
    for cond in data.conditions():
        measure = data.main_measure(cond)
        rows = by_cell.get((cond, measure), [])
        if len(rows) >= 2 and any(not r["suppressed"] for r in rows):
            out.append({"condition_group": cond, "measure": measure, "rows": rows})
    return out


def quality_summary(data: ReportData, clinic_id: str) -> dict:
    """The clinic's own batches and its quarantined rows by reason (counts of rows, no values)."""
    batches = data.batches_of(clinic_id)
    reasons: dict[tuple, int] = {}
    for q in data.quarantine_of(b["batch_id"] for b in batches if b["status"] == "accepted"):
        key = (q["reason"], q["table_name"])
        reasons[key] = reasons.get(key, 0) + (q["rows"] or 0)
    ordered = sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0][0], kv[0][1]))
    return {
        "batches": batches,
        "reasons": [{"reason": reason, "table_name": table, "rows": rows, "plain": contract.REASONS.get(reason, reason)}
                    for (reason, table), rows in ordered],
    }


def numbers(data: ReportData, clinic_id: str) -> dict:
    """Everything the clinic's dashboard shows, before it is drawn: the page is written again
    only when this changes (``unchanged.digest``; the network's cells are the same objects on
    every clinic's page, so ``digest_of`` digests them once per run)."""
    series = comparison_series(data, clinic_id)
    episodes = condition_episodes(data, "clinic", clinic_id)
    comp_net = {(r["condition_group"], r["measure"]): r for r in completeness_rows(data)}
    return {
        "clinic_id": clinic_id,
        "series": series,
        "sessions": data.sessions_of(clinic_id),
        "episodes": episodes,
        "benchmarks": benchmark_rows(data, clinic_id),
        "trends": trend_series(data, clinic_id),
        "completeness": [{**r, "network": comp_net.get((r["condition_group"], r["measure"]))}
                         for r in completeness_rows(data, "clinic", clinic_id)],
        "quality": quality_summary(data, clinic_id),
        "methods": methods.paragraph("clinic", data.settings, data.measure_rows(s["measure"] for s in series),
                                     benchmarks=data.benchmarks is not None, model_fit=data.model_fit),
        "min_n": data.min_n,
    }


def digest_of(shown: dict, network_digests: dict) -> str:
    """``unchanged.digest`` of a dashboard's numbers; ``network_digests``: the digests of the
    network's rows, by the identity of their list (filled here, shared by every clinic of a run)."""
    def network(rows: list[dict]) -> str:
        known = network_digests.get(id(rows))
        if known is None or known[0] is not rows:
            known = network_digests[id(rows)] = (rows, unchanged.digest(rows))
        return known[1]

    series = [{**s, "network": network(s["network"])} for s in shown["series"]]
    return unchanged.digest({**shown, "series": series})


def page(data: ReportData, clinic_id: str, shown: dict | None = None) -> Page:
    """The dashboard of one clinic; ``shown``: its ``numbers``, when already computed."""
    shown = shown or numbers(data, clinic_id)
    series, bench, trends = shown["series"], shown["benchmarks"], shown["trends"]
    context = {
        "clinic_id": clinic_id,
        "sessions": shown["sessions"],
        "episodes": [{"condition_group": c, "episodes": n} for c, n in shown["episodes"].items()],
        "episodes_total": total(shown["episodes"].values()),
        "comparison": figures.to_div(figures.clinic_comparison(series, data.min_n, data.effect_text), "fig-comparison") if series else None,
        "options": filter_options(series),
        "table": comparison_table(series, data.min_n, data.effect_text),
        "benchmark_chart": figures.to_div(figures.benchmark_chart(bench), "fig-benchmark") if bench else None,
        "benchmarks": bench,
        "trend_chart": figures.to_div(figures.trend_chart(trends), "fig-trend") if trends else None,
        "completeness": shown["completeness"],
        "quality": shown["quality"],
        "methods": shown["methods"],
    }
    return Page(f"clinics/{clinic_id}.html", "clinic.html", f"Clinic {clinic_id}", context)
