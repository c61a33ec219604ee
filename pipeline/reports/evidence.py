"""The insurer evidence pack of one condition group: one dict (``pack``) that is written as JSON
(``evidence_schema.json``) and rendered as HTML (then printed to PDF), so every surface carries
the same numbers."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Callable

import jsonschema
from markupsafe import Markup

from pipeline import contract, provenance
from pipeline.reports import figures, fmt, methods
from pipeline.reports.data import ReportData, records
from pipeline.reports.landing import condition_episodes
from pipeline.reports.pages import Page
from pipeline.reports.data_quality_page import checks_summary

SCHEMA_PATH = Path(__file__).with_name("evidence_schema.json")
SCHEMA_VERSION = "1"
BAND_FIELDS = (
    "frequency_band", "suppressed", "n", "baseline_mean", "baseline_sd", "final_mean", "final_sd",
    "r_pre_post", "mean_improvement", "sd_improvement", "d_z", "g_z", "g_z_ci_low", "g_z_ci_high",
    "smcr", "smcr_var", "wilcoxon_p", "q_value", "responders", "responder_rate", "responder_ci_low",
    "responder_ci_high",
)
POOLED_FIELDS = ("frequency_band", "method", "k", "k_excluded", "estimate", "se", "ci_low", "ci_high", "tau2", "i2", "q",
                 "pred_low", "pred_high", "clinics")
DOSE_FIELDS = ("moderator", "method", "k", "k_excluded", "intercept", "slope", "slope_se", "slope_ci_low", "slope_ci_high", "slope_p",
               "tau2")
POINT_FIELDS = ("clinic_id", "frequency_band", "duration_band", "x", "yi", "vi", "n")
CLINIC_FIELDS = ("clinic_id", "suppressed", "n", "g_z", "g_z_ci_low", "g_z_ci_high", "smcr", "smcr_var")
MODERATORS = {  # how each dose moderator reads: name, x axis, unit of the slope, how to read the chart
    "sessions_per_week": (
        "sessions per week", "sessions per week (mean of the clinic's cell)", "per additional session per week",
        "each bubble is one clinic's episodes in one frequency band, coloured by band (larger bubbles are more "
        "precise); the line is the meta-regression. A rising line means larger effects with more sessions per week."),
    "mean_duration_min": (
        "session length", "minutes per session (mean of the cell)", "per additional minute",
        "each bubble is the network's episodes in one session-length band (larger bubbles are more precise); "
        "the line is the meta-regression. A rising line means larger effects with longer sessions."),
}


def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema())


def _variants() -> dict[str, dict]:
    """The schema as three documents: the whole pack; the pack with any provenance (its block
    checked once per run, as every pack of a run carries the same one); the provenance block."""
    whole = schema()
    without = {**whole, "properties": {**whole["properties"], "provenance": {}}}
    provenance_only = {**{k: v for k, v in whole.items() if k in ("$schema", "$id", "$defs")},
                       "$ref": "#/$defs/provenance"}
    return {"whole": whole, "without_provenance": without, "provenance": provenance_only}


@lru_cache(maxsize=1)
def _checkers() -> dict[str, Callable[[dict], bool]]:
    """name -> a function saying whether a document is valid: compiled by fastjsonschema when
    it is installed (about 5x faster than jsonschema on a network's packs, which list every
    clinic), else jsonschema's. Only keywords that mean the same in draft 7 and 2020-12 are
    used by the schema (no sibling of a ``$ref``), so both give the same verdict; an invalid
    document is always reported by jsonschema (its error is the one raised)."""
    try:
        import fastjsonschema
    except ImportError:  # pragma: no cover - jsonschema alone
        fastjsonschema = None
    out = {}
    for name, doc in _variants().items():
        if fastjsonschema is not None:
            compiled = fastjsonschema.compile(doc)

            def check(instance, compiled=compiled, error=fastjsonschema.JsonSchemaException) -> bool:
                try:
                    compiled(instance)
                except error:
                    return False
                return True
        else:
            check = jsonschema.Draft202012Validator(doc).is_valid
        out[name] = check
    return out


def validate(pack: dict, checked_provenance: dict | None = None) -> None:
    """Raise ``jsonschema.ValidationError`` when the pack does not follow the published schema.
    ``checked_provenance``: a provenance block already validated (``validate_provenance``);
    when the pack carries that very block, it is not checked again."""
    skip = checked_provenance is not None and pack.get("provenance") is checked_provenance
    if not _checkers()["without_provenance" if skip else "whole"](pack):
        validator().validate(pack)  # the reference: raises with its message
        if skip:
            return
        raise jsonschema.ValidationError("the evidence pack does not follow its schema")


def validate_provenance(block: dict) -> None:
    """Raise ``jsonschema.ValidationError`` when a provenance block does not follow the schema."""
    if not _checkers()["provenance"](block):
        jsonschema.Draft202012Validator(_variants()["provenance"]).validate(block)
        raise jsonschema.ValidationError("the provenance block does not follow its schema")


def _pick(row: dict, fields: tuple[str, ...]) -> dict:
    return {f: row.get(f) for f in fields}


def _rows(frame, **where) -> list[dict]:
    if frame is None:
        return []
    for column, value in where.items():
        frame = frame[frame[column] == value]
    return records(frame)


def band_rows(data: ReportData, condition: str, measure: str) -> list[dict]:
    return [_pick(r, BAND_FIELDS) for r in data.cells(condition, measure)]


def clinic_rows(data: ReportData, condition: str, measure: str) -> list[dict]:
    """Each clinic's all-frequency cell, with the SMCR's 95% CI for the forest plot."""
    out = []
    for clinic_id in data.clinic_ids():
        for r in data.cells(condition, measure, clinic_id):
            if r["frequency_band"] == contract.ALL_BANDS:
                low, high = fmt.smcr_ci(r.get("smcr"), r.get("smcr_var"))
                out.append({**_pick(r, CLINIC_FIELDS), "smcr_ci_low": low, "smcr_ci_high": high})
    return out


def dose_rows(data: ReportData, condition: str, measure: str) -> list[dict] | None:
    if data.dose is None:
        return None
    fits = _rows(data.dose, condition_group=condition, measure=measure)
    points = _rows(data.dose_points, condition_group=condition, measure=measure)
    out = []
    for fit in sorted(fits, key=lambda f: f["moderator"], reverse=True):  # sessions per week first
        mine = [_pick(p, POINT_FIELDS) for p in points if p["moderator"] == fit["moderator"]]
        out.append({**_pick(fit, DOSE_FIELDS), "points": sorted(mine, key=lambda p: p["x"])})
    return out


def measure_block(data: ReportData, condition: str, measure: str) -> dict:
    m = data.measure(measure)
    comp = _rows(data.completeness, level="network", condition_group=condition, measure=measure)
    comp_fields = ("suppressed", "episodes", "episodes_scored", "episodes_with_baseline", "episodes_complete")
    pooled = None
    if data.pooled is not None:
        pooled = sorted((_pick(r, POOLED_FIELDS) for r in _rows(data.pooled, condition_group=condition, measure=measure)),
                        key=lambda r: fmt.band_order(r["frequency_band"]))
    return {
        "code": measure, "instrument": m["instrument"], "better": m["better"], "mcid": m["mcid"],
        "mcid_kind": m["mcid_kind"], "mcid_source": m["mcid_source"],
        "main": measure == data.main_measure(condition),
        "completeness": _pick(comp[0], comp_fields) if comp else None,
        "bands": band_rows(data, condition, measure),
        "clinics": clinic_rows(data, condition, measure),
        "pooled": pooled,
        "dose_response": dose_rows(data, condition, measure),
    }


def suppression_summary(data: ReportData, condition: str) -> dict:
    eff = data.effects[data.effects["condition_group"] == condition]
    net, cli = eff[eff["level"] == "network"], eff[eff["level"] == "clinic"]
    shown = lambda f: f[~f["suppressed"].astype(bool)]  # noqa: E731
    return {
        "threshold": data.min_n,
        "network_cells": len(net), "network_cells_suppressed": int(net["suppressed"].astype(bool).sum()),
        "clinic_cells": len(cli), "clinic_cells_suppressed": int(cli["suppressed"].astype(bool).sum()),
        "responder_figures_suppressed": int(shown(eff)["responders"].isna().sum()),
        "suppressed_network_cells": [
            {"measure": r["measure"], "frequency_band": r["frequency_band"]}
            for r in records(net[net["suppressed"].astype(bool)])
        ],
    }


SITE_FIELDS = ("site_id", "package_version", "code_version", "git_commit", "registry_sha256", "exported_at",
               "file_name", "file_sha256", "merged_at")


def site_rows(data: ReportData) -> list[dict]:
    """A hub's merged sites (``outcomes aggregates merge``): each site's code version and commit,
    its batches as its aggregates file's manifest lists them, its measure registry's hash, when
    it exported the file and the file's sha256. Empty on a warehouse that is not a hub."""
    out = []
    for r in records(data.sites):
        batches = [{"batch_id": b.get("batch_id"), "sha256": b.get("sha256"), "status": b.get("status")}
                   for b in r.get("batches") or []]
        out.append({**_pick(r, SITE_FIELDS), "batch_count": len(batches), "batches": batches})
    return out


def provenance_block(data: ReportData) -> dict:
    """The run, the code and software, every accepted batch with its files' checksums, the checks,
    and on a hub each merged site (``site_rows``)."""
    files: dict[tuple, list[dict]] = {}
    for f in records(data.batch_files):
        files.setdefault((f["batch_id"], f["sha256"]), []).append(
            {"table": f["table_name"], "file_name": f["file_name"], "format": f["format"], "rows": f["rows"],
             "sha256": f["file_sha256"]})
    batches = [
        {"batch_id": b["batch_id"], "clinic_id": b["clinic_id"], "sha256": b["sha256"],
         "exported_at": b["exported_at"], "loaded_at": b["loaded_at"],
         "files": files.get((b["batch_id"], b["sha256"]), [])}
        for b in records(data.accepted_batches().sort_values("batch_id"))
    ]
    run = data.run()
    return {
        "run": {k: run.get(k) for k in ("run_id", "started_at", "finished_at", "code_version", "status")},
        "code_version": run.get("code_version") or provenance.code_version(),
        "software": provenance.software_versions(),
        "batches": batches,
        "batches_rejected": int((data.batches["status"] == "rejected").sum()),
        "checks": checks_summary(data),
        "sites": site_rows(data),
    }


def pack(data: ReportData, condition: str, provenance_: dict | None = None) -> dict:
    """Every number of the evidence pack of one condition group (the JSON document).
    ``provenance_``: the run's provenance block, when already built for another pack."""
    blocks = [measure_block(data, condition, m) for m in data.measures_of(condition)]
    blocks.sort(key=lambda b: not b["main"])
    measures = data.measure_rows(b["code"] for b in blocks)
    return {
        "schema_version": SCHEMA_VERSION,
        "report": "evidence-pack",
        "condition_group": condition,
        "condition_label": fmt.condition_label(condition),
        "generated_at": data.generated_at.isoformat(sep=" ", timespec="seconds"),
        "settings": {"suppression_min_n": data.min_n, "episode_gap_days": data.settings.episode_gap_days},
        "frequency_bands": [{"band": b, "label": fmt.band_label(b), "definition": fmt.band_definition(b)}
                            for b in (contract.ALL_BANDS, *contract.BAND_ORDER)],
        "episodes": condition_episodes(data).get(condition),
        "clinics": sum(1 for c in blocks[0]["clinics"] if not c["suppressed"]) if blocks else 0,
        "measures": blocks,
        "suppression": suppression_summary(data, condition),
        "methods": methods.paragraph(
            "evidence", data.settings, measures,
            pooled_methods=set(data.pooled["method"]) if data.pooled is not None else None,
            dose_response=data.dose is not None),
        "provenance": provenance_ or provenance_block(data),
    }


# ---- the page ------------------------------------------------------------------------------

def _mcid_text(block: dict) -> str:
    return f"{block['mcid']:g} ({block['mcid_kind'].split(' ')[0]})" if block.get("mcid") is not None else "the MCID"


def charts(block: dict, min_n: int, prefix: str) -> dict:
    """The figures of one measure: by band, the forest plot, the dose-response lines."""
    code = block["code"]
    cells = [{**c, "measure": code} for c in block["bands"]]
    pooled_all = next((p for p in block["pooled"] or [] if p["frequency_band"] == contract.ALL_BANDS), None)
    out = {"bands": figures.to_div(figures.bands_chart(cells, min_n, _mcid_text(block)), f"{prefix}-bands"),
           "forest": None, "distribution": None, "clinics_shown": None}
    if len(block["clinics"]) > figures.FOREST_MAX_CLINICS:  # a network: the clinics' distribution
        out["distribution"] = figures.to_div(figures.clinic_distribution(block["clinics"], pooled_all),
                                             f"{prefix}-forest")
        out["clinics_shown"] = sum(1 for c in block["clinics"] if not c["suppressed"] and c.get("smcr") is not None)
    elif block["clinics"]:
        out["forest"] = figures.to_div(figures.forest(block["clinics"], pooled_all), f"{prefix}-forest")
    out["dose"] = [_dose_chart(d, f"{prefix}-dose-{d['moderator']}") for d in block["dose_response"] or []]
    return out


def _dose_chart(fit: dict, div_id: str) -> dict:
    name = fit["moderator"].replace("_", " ")
    label, axis, unit, how = MODERATORS.get(fit["moderator"], (name, name, "per unit", "each bubble is one cell."))
    div = figures.to_div(figures.dose_chart(fit["points"], fit, axis), div_id) if fit["points"] else None
    return {"label": label, "unit": unit, "how": how, "div": div}


MANY_BATCHES = 1000  # more accepted batches than this: the page counts them, the JSON lists them


def provenance_table(env, provenance: dict, common: dict) -> Markup:
    """The provenance block's table of batches and files as HTML, rendered once for every pack of
    the run (they carry the same block); a network's batches are counted, not listed (the JSON lists them)."""
    html = env.get_template("_provenance.html").render(**common, pack={"provenance": provenance},
                                                       many_batches=MANY_BATCHES, root=Page("evidence/x.html", "", "").root)
    return Markup(html)


def page(data: ReportData, content: dict, pdf: bool = True, provenance_html: Markup | None = None) -> Page:
    """The evidence pack's page; ``pdf``: whether it links a PDF (printed from this very page);
    ``provenance_html``: its batch table, when already rendered (``provenance_table``)."""
    min_n = data.min_n
    measures = [{**b, "text": [fmt.effect_row(r, min_n) for r in b["bands"]],
                 "charts": charts(b, min_n, f"fig-{b['code']}")} for b in content["measures"]]
    cond = content["condition_group"]
    return Page(f"evidence/{cond}.html", "evidence.html", f"Evidence pack: {content['condition_label']}",
                {"pack": content, "blocks": measures, "stem": cond, "methods": content["methods"], "pdf": pdf,
                 "provenance_table": provenance_html, "many_batches": MANY_BATCHES})
