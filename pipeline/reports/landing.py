"""The landing page: the run, headline figures, the network's effects and completeness, links."""
from __future__ import annotations

from pipeline.reports import figures, fmt, methods
from pipeline.reports.data import ReportData
from pipeline.reports.pages import Page


def condition_episodes(data: ReportData, level: str = "network", clinic_id: str | None = None) -> dict[str, int | None]:
    """Episodes per condition from marts.completeness (the same on every measure's row; None when
    every row of the condition is suppressed)."""
    found: dict[str, int | None] = {}
    for row in data.completeness_of(level, clinic_id):
        known = found.get(row["condition_group"])
        found[row["condition_group"]] = row["episodes"] if row["episodes"] is not None else known
    order = data.conditions()
    return dict(sorted(found.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order else len(order), kv[0])))


def total(values) -> int | None:
    """A sum shown only when no part is hidden (a hidden part must not be recoverable)."""
    values = list(values)
    return None if any(v is None for v in values) else sum(values)


def overview_cells(data: ReportData) -> list[dict]:
    """Network cells of each condition's main measure, every band, with a group header."""
    out = []
    for cond in data.conditions():
        measure = data.main_measure(cond)
        header = f"{fmt.condition_label(cond)} · {fmt.measure_label(measure)}"
        out += [{**c, "header": header} for c in data.cells(cond, measure)]
    return out


def completeness_rows(data: ReportData, level: str = "network", clinic_id: str | None = None) -> list[dict]:
    """Completeness rows by condition (contract order) and measure (registry order), with the
    share of episodes that have a baseline and a final score."""
    rows = data.completeness_of(level, clinic_id)
    out = []
    for cond in data.conditions():
        order = data.measures_of(cond)
        mine = sorted((r for r in rows if r["condition_group"] == cond),
                      key=lambda r: order.index(r["measure"]) if r["measure"] in order else len(order))
        out += [{**r, "header": fmt.condition_label(cond), "share_complete": _share(r)} for r in mine]
    return out


def _share(row: dict) -> float | None:
    if row["suppressed"] or not row["episodes"]:
        return None
    return row["episodes_complete"] / row["episodes"]


def headline(data: ReportData) -> dict:
    episodes = condition_episodes(data)
    comp = {(r["condition_group"], r["measure"]): r for r in completeness_rows(data)}
    main = [comp.get((c, data.main_measure(c))) for c in data.conditions()]
    complete = total(r["episodes_complete"] if r else None for r in main)
    denominator = total(r["episodes"] if r else None for r in main)
    batches = data.batches["status"].value_counts().to_dict()
    return {
        "episodes": total(episodes.values()),
        "conditions": len(data.conditions()),
        "clinics": len(data.clinic_ids()),
        "sessions": total(data.sessions_by_clinic().values()),
        "share_complete": complete / denominator if complete is not None and denominator else None,
        "share_hidden": complete is None or denominator is None,
        "batches": {s: int(batches.get(s, 0)) for s in ("accepted", "rejected", "replaced")},
    }


SEARCH_FROM = 10  # clinics: from this many, the clinic table has a search field


def clinic_rows(data: ReportData, links: list[dict]) -> list[dict]:
    """The clinic table: per linked clinic, its sessions and episodes, from the indexed marts
    (own rows only). ``episodes`` is the total when no condition's count is suppressed (as on
    the dashboard); else ``episodes_at_least`` sums the published ones (a lower bound, which
    reveals no hidden count: the total is not published), None when none is."""
    out = []
    for c in links:
        parts = list(condition_episodes(data, "clinic", c["clinic_id"]).values())
        shown = [v for v in parts if v is not None]
        episodes = total(parts)
        out.append({**c, "episodes": episodes, "sessions": data.sessions_of(c["clinic_id"]),
                    "episodes_at_least": sum(shown) if episodes is None and shown else None})
    return out


def page(data: ReportData, links: dict, kept: int = 0) -> Page:
    """The landing page; ``kept``: pages of this run left as an earlier run wrote them (unchanged)."""
    cells = overview_cells(data)
    comp = completeness_rows(data)
    measures = data.measure_rows(c["measure"] for c in cells)
    context = {
        "headline": headline(data),
        "overview": figures.to_div(figures.effect_overview(cells, data.min_n), "fig-overview") if cells else None,
        "cells": [{**c, "text": fmt.effect_row(c, data.min_n)} for c in cells],
        "completeness_chart": figures.to_div(figures.completeness_bars(comp), "fig-completeness") if comp else None,
        "completeness": comp,
        "links": links,
        "clinic_rows": clinic_rows(data, links["clinics"]),
        "clinic_search": len(links["clinics"]) >= SEARCH_FROM,
        "methods": methods.paragraph("index", data.settings, measures),
        "kept": kept,
    }
    return Page("index.html", "index.html", "Outcomes of medical massage therapy", context)
