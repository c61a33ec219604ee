"""Degenerate networks never stop a run, and every published figure is the statistics module's.

Hypothesis generates small networks full of edge cases: constant scores (every improvement 0,
every SD 0), every improvement equal (sd(d) = 0, r = 1, smcr_var = 0), one clinic, one band
(every session of an episode on one day), every cell small, measures nobody scored, a clinic
of one patient, thresholds from 1 to 11. Each network is written as CSV export batches and
goes through the whole asset graph (intake, staging, the suites, episodes, every mart, the
reports). Then:

* the run succeeds, with every asset check passed, and ``audit.runs`` says ``success``;
* every published cell of marts.effect_sizes equals ``stats.prepost`` on that cell's episodes
  of marts.episode_outcomes, figure by figure, null where prepost is null (the R tests
  compare the same cells with R);
* pooled and dose-response rows count only clinics with a positive sampling variance, and
  say how many they left out (``k_excluded``);
* every clinic with episodes has a dashboard, and the landing page is written.
"""
from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipeline import contract, stats
from pipeline.definitions import build_definitions
from pipeline.demo import write_manifest
from tests.quality.batches import MEASUREMENT_COLUMNS, SESSION_COLUMNS, csv_bytes

CONDITIONS = ("M54.50", "M54.2", "G44.209", "M79.7")
MEASURES = ("pain_nrs", "ndi", "psfs")
MODES = ("random", "constant", "equal", "absent")
GAPS = (0, 2, 4, 7, 14, 30)
FIGURES = ("n", "baseline_mean", "baseline_sd", "final_mean", "final_sd", "r_pre_post", "mean_improvement",
           "sd_improvement", "d_z", "g_z", "g_z_ci_low", "g_z_ci_high", "smcr", "smcr_var", "wilcoxon_p",
           "responders", "responder_rate", "responder_ci_low", "responder_ci_high")


def _scores(rng: np.random.Generator, measure: str, mode: str, sessions: int) -> list[tuple[float, float]]:
    """(pre, post) of each session of one patient for one measure under a clinic's mode (the
    baseline varies across patients in every mode, so only the improvement is degenerate)."""
    m = contract.measures()[measure]
    lo, hi = int(m.range_min), int(m.range_max)
    if mode == "constant":  # the patient's score never changes: improvement 0, r = 1, smcr_var = 0
        v = float(rng.integers(lo, hi + 1))
        return [(v, v)] * sessions
    if mode == "equal":  # every session improves by exactly the MCID: sd(d) = 0 within the episode's pair
        mcid = int(m.mcid)
        v = float(rng.integers(lo + mcid, hi + 1)) if m.better == "lower" else float(rng.integers(lo, hi - mcid + 1))
        return [(v, v - mcid if m.better == "lower" else v + mcid)] * sessions
    return [tuple(float(v) for v in rng.integers(lo, hi + 1, 2)) for _ in range(sessions)]


def write_network(inbox: Path, clinics: list[dict], seed: int) -> None:
    """One CSV export batch per clinic: every patient's sessions and their pre/post scores."""
    rng = np.random.default_rng(seed)
    for c, clinic in enumerate(clinics):
        cid = f"k{c}"
        sessions, scores = [], []
        for p in range(clinic["patients"]):
            count = int(rng.integers(1, clinic["max_sessions"] + 1))
            gap = 0 if clinic["one_day"] else int(rng.choice(GAPS))
            start = date(2026, 1, 5) + timedelta(days=int(rng.integers(0, 40)))
            code = CONDITIONS[int(rng.integers(0, clinic["conditions"]))]
            per_measure = {m: _scores(rng, m, mode, count) for m, mode in zip(MEASURES, clinic["modes"]) if mode != "absent"}
            for s in range(count):
                sid = f"S{p}x{s}"
                sessions.append({
                    "clinic_id": cid, "patient_id": f"P-{p:04d}", "session_id": sid,
                    "session_date": (start + timedelta(days=gap * s)).isoformat(), "condition_code": code,
                    "duration_min": "45", "age_band": clinic["age_band"], "sex": "F", "payer": "self"})
                for measure, pairs in per_measure.items():
                    pre, post = pairs[s]
                    scores.append({"clinic_id": cid, "session_id": sid, "measure": measure, "timepoint": "pre", "value": f"{pre:g}"})
                    scores.append({"clinic_id": cid, "session_id": sid, "measure": measure, "timepoint": "post", "value": f"{post:g}"})
        folder = inbox / f"{cid}-2026-02"
        folder.mkdir(parents=True)
        (folder / "sessions.csv").write_bytes(csv_bytes(list(SESSION_COLUMNS), sessions))
        (folder / "measurements.csv").write_bytes(csv_bytes(list(MEASUREMENT_COLUMNS), scores))
        write_manifest(folder, folder.name, cid, "2026-02-01T09:00:00Z")


clinic_strategy = st.fixed_dictionaries({
    "patients": st.integers(1, 24),
    "max_sessions": st.integers(1, 5),
    "one_day": st.booleans(),
    "conditions": st.integers(1, len(CONDITIONS)),
    "modes": st.tuples(*(st.sampled_from(MODES) for _ in MEASURES)),
    "age_band": st.sampled_from(["30-44", "45-64"]),
})

ONE_PATIENT = {"patients": 1, "max_sessions": 3, "one_day": False, "conditions": 1,
               "modes": ("random", "absent", "absent"), "age_band": "30-44"}
CONSTANT = {"patients": 14, "max_sessions": 1, "one_day": True, "conditions": 1,
            "modes": ("constant", "constant", "absent"), "age_band": "30-44"}
EQUAL = {"patients": 24, "max_sessions": 4, "one_day": False, "conditions": 2,
         "modes": ("equal", "random", "equal"), "age_band": "45-64"}


def _run(tmp: Path, clinics: list[dict], seed: int, min_n: int) -> Path:
    inbox, wh = tmp / "inbox", tmp / "w.duckdb"
    write_network(inbox, clinics, seed)
    defs = build_definitions(str(inbox), str(wh), str(tmp / "reports"), suppression_min_n=min_n)
    with dg.DagsterInstance.ephemeral() as instance:
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}})
    failures = [e.step_failure_data.error.message for e in result.all_events if e.is_step_failure]
    assert result.success, failures
    assert all(c.passed for c in result.get_asset_check_evaluations())
    return wh


def _same(ours, theirs, what: str) -> None:
    if theirs is None or (isinstance(theirs, float) and math.isnan(theirs)):
        assert ours is None or (isinstance(ours, float) and math.isnan(ours)), f"{what}: ours {ours}, prepost None"
        return
    assert ours is not None and not (isinstance(ours, float) and math.isnan(ours)), f"{what}: ours null, prepost {theirs}"
    assert math.isclose(float(ours), float(theirs), rel_tol=1e-9, abs_tol=1e-12), f"{what}: ours {ours}, prepost {theirs}"


def _check_cells(con: duckdb.DuckDBPyConnection) -> int:
    outcomes = con.execute("select * from marts.episode_outcomes").df()
    cells = con.execute("select * from marts.effect_sizes where not suppressed").df()
    registry = contract.measures()
    for cell in cells.to_dict("records"):
        rows = outcomes[(outcomes["condition_group"] == cell["condition_group"]) & (outcomes["measure"] == cell["measure"])]
        if cell["level"] == "clinic":
            rows = rows[rows["clinic_id"] == cell["clinic_id"]]
        if cell["frequency_band"] != contract.ALL_BANDS:
            rows = rows[rows["frequency_band"] == cell["frequency_band"]]
        m = registry[cell["measure"]]
        want = stats.prepost(rows["baseline"].to_numpy(float), rows["final"].to_numpy(float), better=m.better, mcid=m.mcid)
        key = "/".join(str(cell[k]) for k in ("level", "clinic_id", "condition_group", "frequency_band", "measure"))
        for figure in FIGURES:
            ours = cell[figure]
            ours = None if ours is None or (isinstance(ours, float) and math.isnan(ours)) else ours
            if figure.startswith("responder") and ours is None:
                continue  # responder figures hidden by the rule on small responder counts
            _same(ours, getattr(want, figure), f"{figure} at {key}")
    return len(cells)


def _check_synthesis(con: duckdb.DuckDBPyConnection) -> None:
    published = con.execute("""select condition_group, frequency_band, measure,
                                      count(*) filter (where smcr_var > 1e-12) as weighable,
                                      count(*) filter (where smcr_var is null or smcr_var <= 1e-12) as excluded
                               from marts.effect_sizes
                               where level = 'clinic' and not suppressed and smcr is not null
                               group by all""").df()
    pooled = con.execute("select * from marts.pooled_effects").df()
    merged = pooled.merge(published, on=["condition_group", "frequency_band", "measure"], how="left", validate="one_to_one")
    assert (merged["k"] == merged["weighable"]).all() and (merged["k_excluded"] == merged["excluded"]).all()
    assert (published[published["weighable"] >= 2].shape[0]) >= len(pooled)  # REML may fail to converge, never crash
    dose = con.execute("select * from marts.dose_response").df()
    assert (dose["k"] >= 3).all() and (dose["k_excluded"] >= 0).all()
    fits = con.execute("select * from marts.benchmark_model_fit").df()
    assert fits["note"].notna().all()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(clinics=st.lists(clinic_strategy, min_size=1, max_size=4), seed=st.integers(0, 2**16),
       min_n=st.sampled_from([1, 3, 11]))
@example(clinics=[ONE_PATIENT], seed=1, min_n=1)
@example(clinics=[CONSTANT, CONSTANT, EQUAL], seed=2, min_n=3)
@example(clinics=[EQUAL, EQUAL, EQUAL, ONE_PATIENT], seed=3, min_n=1)
def test_degenerate_networks_run_to_the_end_with_the_statistics_modules_figures(tmp_path_factory, clinics, seed, min_n):
    tmp = tmp_path_factory.mktemp("net")
    wh = _run(tmp, clinics, seed, min_n)
    con = duckdb.connect(str(wh), read_only=True)
    try:
        assert con.execute("select status from audit.runs").fetchall() == [("success",)]
        _check_cells(con)
        _check_synthesis(con)
        clinics_with_episodes = {r[0] for r in con.execute("select distinct clinic_id from marts.episode_outcomes").fetchall()}
    finally:
        con.close()
    reports = tmp / "reports"
    assert (reports / "index.html").is_file()
    written = {p.stem for p in (reports / "clinics").glob("*.html")}
    assert clinics_with_episodes <= written
