"""Realistic, deterministic demo export batches (contract sections 1 and 3).

``write_demo`` writes one export batch per clinic and calendar month, exactly as a clinic's
practice software would send them: ``sessions`` and ``measurements`` as CSV or Parquet and a
FHIR-Bulk-like ``manifest.json``. Clinics differ the way real ones do: some send ISO session
dates (limited data set), others are Safe Harbor (``session_day`` + ``session_year``); some
send their own ``episode_id``, others leave it to the pipeline; some write CSV, others
Parquet, one mixes.

The true effects (by condition group, measured frequency band and session length) are
anchored to published trials; ``docs/demo.md`` gives the numbers and their sources. Every
value that is part of the contract (columns, registry, ranges, groups, bands) comes from
``pipeline.contract``; this module only holds the demo's own assumptions.

The generator is vectorised with numpy (one pass per clinic, no per-session Python loop) and
writes with pyarrow, so a benchmark-sized demo (1M sessions and more) takes seconds. The
same arguments always give the same bytes: ``exported_at`` is derived from the batch month,
never from the clock.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from pipeline import contract

__all__ = ["write_demo", "write_manifest", "csv_data_rows", "clinic_profile", "ClinicProfile"]

# ---------------------------------------------------------------------------------------
# The demo's assumptions (not contract values): case mix, schedules, effects.
# ---------------------------------------------------------------------------------------

# Case mix of a massage-therapy network (share of patients per condition group).
CONDITION_MIX = {
    "low_back_pain": 0.30, "neck_pain": 0.22, "shoulder_pain": 0.12, "tension_headache": 0.07,
    "fibromyalgia": 0.07, "myofascial_pain": 0.14, "other": 0.08,
}

# Real ICD-10-CM codes per group, with their share within the group.
ICD10_CODES = {
    "low_back_pain": (("M54.50", 0.40), ("M54.59", 0.15), ("M54.51", 0.05), ("M54.41", 0.10),
                      ("M54.42", 0.10), ("M54.31", 0.10), ("M54.32", 0.10)),
    "neck_pain": (("M54.2", 0.70), ("S13.4XXA", 0.30)),
    "shoulder_pain": (("M25.511", 0.30), ("M25.512", 0.25), ("M75.41", 0.15), ("M75.101", 0.10),
                      ("M75.01", 0.10), ("M75.51", 0.10)),
    "tension_headache": (("G44.209", 0.60), ("G44.229", 0.25), ("G44.219", 0.15)),
    "fibromyalgia": (("M79.7", 1.00),),
    "myofascial_pain": (("M79.18", 0.35), ("M79.12", 0.15), ("M79.10", 0.10), ("M62.830", 0.30),
                        ("M62.838", 0.10)),
    "other": (("M25.561", 0.30), ("M25.562", 0.20), ("M54.6", 0.25), ("M25.551", 0.15),
              ("G89.29", 0.10)),
}
# An injury code's 7th character: A on the first encounter, D on the subsequent ones.
SUBSEQUENT_ENCOUNTER = {"S13.4XXA": "S13.4XXD"}

# The instruments each condition's clinics use. Registry measures not named here are given
# to the `other` group with generic parameters, so a new instrument needs no code change.
INSTRUMENTS = {
    "neck_pain": ("pain_nrs", "ndi", "rom_cervical_rotation", "psfs"),
    "low_back_pain": ("pain_nrs", "rmdq", "odi", "psfs"),
    "shoulder_pain": ("pain_nrs", "psfs", "promis_pi"),
    "tension_headache": ("pain_nrs", "promis_pi", "gad7"),
    "fibromyalgia": ("pain_nrs", "promis_pi", "gad7"),
    "myofascial_pain": ("pain_nrs", "psfs", "gad7"),
    "other": ("pain_nrs", "promis_pi"),
}
SESSION_MEASURE = "pain_nrs"  # scored pre and post at every session

# Baseline (mean, SD) per measure; overrides per (group, measure).
BASELINE = {
    "pain_nrs": (6.0, 1.7), "ndi": (17.0, 6.5), "rmdq": (11.0, 4.5), "odi": (34.0, 13.0),
    "psfs": (3.6, 1.5), "promis_pi": (61.0, 5.5), "gad7": (9.0, 4.5),
    "rom_cervical_rotation": (60.0, 11.0),
}
BASELINE_BY_GROUP = {
    ("fibromyalgia", "pain_nrs"): (6.6, 1.6), ("tension_headache", "pain_nrs"): (5.6, 1.7),
    ("other", "pain_nrs"): (5.5, 1.8), ("fibromyalgia", "promis_pi"): (64.0, 5.5),
    ("fibromyalgia", "gad7"): (10.5, 4.5), ("tension_headache", "gad7"): (9.5, 4.5),
    ("myofascial_pain", "gad7"): (8.0, 4.0),
}
DECIMALS = {"psfs": 1, "promis_pi": 1}  # the other known instruments are scored in integers

# True mean improvement (positive = better, in the measure's units) of a weekly course of
# 60-minute sessions. For pain_nrs this is the sustained part only: the immediate relief of
# the session itself (PAIN_IMMEDIATE) comes on top, since the final score is a `post` score.
EFFECT = {
    ("low_back_pain", "pain_nrs"): 1.0, ("low_back_pain", "rmdq"): 5.0,
    ("low_back_pain", "odi"): 9.0, ("low_back_pain", "psfs"): 2.0,
    ("neck_pain", "pain_nrs"): 1.0, ("neck_pain", "ndi"): 3.8,
    ("neck_pain", "rom_cervical_rotation"): 6.0, ("neck_pain", "psfs"): 2.0,
    ("shoulder_pain", "pain_nrs"): 1.1, ("shoulder_pain", "psfs"): 2.4,
    ("shoulder_pain", "promis_pi"): 3.5,
    ("tension_headache", "pain_nrs"): 0.8, ("tension_headache", "promis_pi"): 2.5,
    ("tension_headache", "gad7"): 1.8,
    ("fibromyalgia", "pain_nrs"): 0.6, ("fibromyalgia", "promis_pi"): 2.5,
    ("fibromyalgia", "gad7"): 2.0,
    ("myofascial_pain", "pain_nrs"): 1.1, ("myofascial_pain", "psfs"): 2.0,
    ("myofascial_pain", "gad7"): 1.5,
    ("other", "pain_nrs"): 0.8, ("other", "promis_pi"): 2.5,
}
PAIN_IMMEDIATE = (0.5, 0.4)  # immediate relief = a + b * duration factor, NRS points
PAIN_IMMEDIATE_SD = 0.5

# Multipliers of the reference effect by frequency band and by session length.
FREQUENCY_FACTOR = {"twice_weekly": 1.35, "weekly": 1.0, "fortnightly": 0.7, "monthly": 0.45,
                    contract.SINGLE_SESSION: 0.25}
PAIN_SUSTAINED_SINGLE = 0.0  # one session: pain improvement is the immediate relief only
DURATIONS = (30, 45, 60, 90)
DURATION_MIX = (0.22, 0.18, 0.48, 0.12)
DURATION_FACTOR = {30: 0.4, 45: 0.75, 60: 1.0, 90: 1.1}
CLINIC_EFFECT_SD = 0.15  # between-clinic heterogeneity: effect x exp(N(0, 0.15))

PRE_POST_R = 0.5  # within-patient correlation of baseline and final
FINAL_SD_RATIO = 1.2  # SD(final) / SD(baseline)
LATENT_SHARE = 0.6  # loading of the episode's shared severity/response on each measure

# Intended schedule per band: share of episodes, sessions (min, max), interval rule.
BAND_MIX = {"twice_weekly": 0.15, "weekly": 0.35, "fortnightly": 0.20, "monthly": 0.12,
            contract.SINGLE_SESSION: 0.18}
BAND_SESSIONS = {"twice_weekly": (6, 16), "weekly": (4, 12), "fortnightly": (3, 7),
                 "monthly": (2, 5), contract.SINGLE_SESSION: (1, 1)}
SECOND_EPISODE_SHARE = 0.12  # patients with a recurrence after a gap > EPISODE_GAP_DAYS
SECOND_EPISODE_GAP = (70, 120)  # days between the two episodes' sessions

DROPOUT = (0.12, 0.25)  # no final questionnaire: good / poor responders (response z < -0.5)
MID_SCORE_SHARE = 0.30  # episodes of >= 4 sessions with a mid-course questionnaire
SINGLE_POST_SHARE = 0.50  # one-session episodes whose questionnaires are repeated post

AGE_MIX = {"18-29": 0.15, "30-44": 0.30, "45-64": 0.37, "65-89": 0.17, "90+": 0.01}
SEX_MIX = {"F": 0.62, "M": 0.35, "X": 0.01, "U": 0.02}
PAYER_MIX = {"self": 0.45, "insurance": 0.38, "workers_comp": 0.06, "auto": 0.06, "other": 0.05}
WHIPLASH_AUTO_SHARE = 0.55
CPT_MIX = {"97124": 0.70, "97140": 0.30}
TECHNIQUE_WEIGHT = {"effleurage": 1.0, "petrissage": 0.9, "tapotement": 0.2, "friction": 0.4,
                    "myofascial_release": 0.7, "trigger_point": 0.6, "lymphatic_drainage": 0.1,
                    "stretching": 0.6, "other": 0.1}
TECHNIQUE_COUNT_MIX = (0.25, 0.45, 0.30)  # 1, 2 or 3 techniques in a session
MISSING = {"techniques": 0.08, "therapist_id": 0.04, "cpt_code": 0.10, "age_band": 0.07,
           "sex": 0.04, "payer": 0.10}
DOTLESS_SHARE = 0.03  # codes keyed without the dot at clinics that normally use it
OTHER_DURATION_SHARE = 0.07  # sessions whose length differs from the episode's usual one
OTHER_THERAPIST_SHARE = 0.15

BAD_MEASURE_CODE = "pain_vas"  # not in the registry
BAD_ICD10_CODE = "XYZ"
BAD_DURATION_MIN = 5


@dataclass(frozen=True)
class ClinicProfile:
    index: int
    clinic_id: str
    date_style: str  # "iso" | "safe_harbor"
    sessions_format: str  # "csv" | "parquet"
    measurements_format: str
    episode_ids: str  # "given" | "empty" (column present, no values) | "absent" (no column)
    dotless_codes: bool
    bom: bool
    fhir: bool = False  # sends FHIR R4 Bulk Data exports from its EHR instead of the two tables


def clinic_profile(index: int, clinics: int) -> ClinicProfile:
    """The export habits of clinic ``index`` (0-based); documented in docs/demo.md."""
    width = max(3, len(str(clinics)))
    fmt = "csv" if (index // 2) % 2 == 0 else "parquet"
    mixed = index % 8 == 5
    return ClinicProfile(
        index=index,
        clinic_id=f"c{index + 1:0{width}d}",
        date_style="iso" if index % 2 == 0 else "safe_harbor",
        sessions_format="parquet" if mixed else fmt,
        measurements_format="csv" if mixed else fmt,
        episode_ids="given" if index % 3 != 2 else ("empty" if (index // 3) % 2 == 0 else "absent"),
        dotless_codes=index % 4 == 3,
        bom=index % 8 == 4,
        fhir=index % 8 == 6,  # one clinic in eight (dated, so its EHR holds real dates)
    )


# ---------------------------------------------------------------------------------------
# Manifest
# ---------------------------------------------------------------------------------------


def csv_data_rows(data: bytes) -> int:
    """Data rows of a CSV file (header and blank lines excluded; quoted newlines honoured)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b'"' not in data and b"\r" not in data and b"\n\n" not in data and not data.startswith(b"\n"):
        records = data.count(b"\n") + (0 if not data or data.endswith(b"\n") else 1)
    elif b'"' not in data:
        records = sum(1 for line in data.splitlines() if line.strip())
    else:
        reader = csv.reader(io.StringIO(data.decode("utf-8", errors="replace"), newline=""))
        records = sum(1 for row in reader if any(field.strip() for field in row))
    return max(records - 1, 0)


def _table_files(batch_dir: Path) -> list[Path]:
    return [batch_dir / f"{table}.{fmt}" for table in contract.TABLES for fmt in contract.FILE_FORMATS
            if (batch_dir / f"{table}.{fmt}").is_file()]


def write_manifest(batch_dir: Path, export_id: str, clinic_id: str, exported_at: str) -> dict:
    """Write ``batch_dir/manifest.json`` for the table files in the folder and return it.

    ``rows`` is the number of data rows (CSV: header and blank lines excluded; Parquet: the
    file's row count) and ``sha256`` the hex digest of the file's bytes (contract section 1).
    """
    batch_dir = Path(batch_dir)
    files = []
    for path in _table_files(batch_dir):
        data = path.read_bytes()
        if path.suffix == ".csv":
            rows = csv_data_rows(data)
        else:
            rows = pq.ParquetFile(io.BytesIO(data)).metadata.num_rows
        files.append({"name": path.name, "rows": int(rows), "sha256": hashlib.sha256(data).hexdigest()})
    manifest = {"schema_version": contract.SCHEMA_VERSIONS[-1], "export_id": export_id,
                "clinic_id": clinic_id, "exported_at": exported_at, "files": files}
    (batch_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


# ---------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------


def _choice(rng: np.random.Generator, mix: dict | tuple, size: int) -> np.ndarray:
    p = np.asarray(list(mix.values()) if isinstance(mix, dict) else mix, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers, pa.int64()), pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _constant(value: str, n: int) -> pa.Array:
    return pa.array([value], pa.string()).take(pa.array(np.zeros(n, np.int32)))


def _with_nulls(values: pa.Array, missing: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(missing), pa.nulls(len(values), values.type), values)


def _technique_combos() -> tuple[list[str], np.ndarray]:
    names = contract.TECHNIQUES
    weights = np.array([TECHNIQUE_WEIGHT.get(n, 0.1) for n in names])
    combos, probs = [], []
    for size, p_size in enumerate(TECHNIQUE_COUNT_MIX, start=1):
        group = list(itertools.combinations(range(len(names)), size))
        w = np.array([weights[list(c)].prod() for c in group])
        combos += [";".join(names[i] for i in c) for c in group]
        probs += list(p_size * w / w.sum())
    return combos, np.array(probs)


def _instrument_sets(registry: dict) -> dict[str, tuple[str, ...]]:
    sets = {g: tuple(m for m in INSTRUMENTS.get(g, ()) if m in registry) for g in contract.CONDITION_GROUPS}
    used = {m for ms in sets.values() for m in ms}
    sets["other"] = sets["other"] + tuple(m for m in registry if m not in used)
    return sets


def _measure_params(group: str, code: str, m: contract.Measure) -> tuple[float, float, float, int]:
    """(baseline mean, baseline SD, reference improvement, decimals) of one instrument."""
    span = m.range_max - m.range_min
    if code in BASELINE:
        mean, sd = BASELINE_BY_GROUP.get((group, code), BASELINE[code])
        decimals = DECIMALS.get(code, 0)
    else:  # a registry instrument the demo does not know: generic, scaled to its range
        mean = m.range_min + (0.6 if m.better == "lower" else 0.4) * span
        sd, decimals = span / 8.0, 1
    effect = EFFECT.get((group, code), 0.8 * m.mcid)
    return mean, sd, effect, decimals


def _g(t: np.ndarray) -> np.ndarray:
    """Share of the course's improvement reached at fraction t of the planned sessions."""
    return (1.0 - np.exp(-2.5 * t)) / (1.0 - np.exp(-2.5))


@dataclass
class _Clinic:
    """One clinic's export for the whole period, as Arrow tables sorted by session date."""
    sessions: pa.Table
    measurements: pa.Table
    session_month: np.ndarray  # month index of each session row
    measurement_month: np.ndarray
    first_of_patient: np.ndarray  # the session is the patient's first (session_day 0)
    session_width: int


def _generate_clinic(profile: ClinicProfile, n_patients: int, seed: int, start: np.datetime64,
                     window_days: int, clinic_mult: float) -> _Clinic:
    rng = np.random.default_rng([seed, profile.index + 1])
    cid = profile.clinic_id
    groups = contract.CONDITION_GROUPS
    registry = contract.measures()
    codes_reg = list(registry)
    bands = contract.BAND_ORDER
    P = n_patients

    # --- patients -------------------------------------------------------------------
    p_group = _choice(rng, {g: CONDITION_MIX.get(g, 0.05) for g in groups}, P)
    code_list = [c for g in groups for c, _ in ICD10_CODES[g]]
    p_code = np.zeros(P, np.int64)
    offset = 0
    for gi, g in enumerate(groups):
        mask = p_group == gi
        p_code[mask] = offset + _choice(rng, tuple(w for _, w in ICD10_CODES[g]), int(mask.sum()))
        offset += len(ICD10_CODES[g])
    p_age = _choice(rng, AGE_MIX, P)
    p_sex = _choice(rng, SEX_MIX, P)
    p_payer = _choice(rng, PAYER_MIX, P)
    whiplash = np.isin(p_code, [code_list.index(c) for c in SUBSEQUENT_ENCOUNTER])
    p_payer[whiplash & (rng.random(P) < WHIPLASH_AUTO_SHARE)] = list(PAYER_MIX).index("auto")
    p_missing = {k: rng.random(P) < MISSING[k] for k in ("age_band", "sex", "payer")}
    n_eps = 1 + (rng.random(P) < SECOND_EPISODE_SHARE)

    # --- episodes -------------------------------------------------------------------
    E = int(n_eps.sum())
    ep_pat = np.repeat(np.arange(P), n_eps)
    ep_no = np.arange(E) - np.repeat(np.cumsum(n_eps) - n_eps, n_eps)
    ep_band = _choice(rng, {b: BAND_MIX[b] for b in bands}, E)
    lo = np.array([BAND_SESSIONS[b][0] for b in bands])[ep_band]
    hi = np.array([BAND_SESSIONS[b][1] for b in bands])[ep_band]
    ep_nplan = rng.integers(lo, hi + 1)
    ep_dur_i = _choice(rng, DURATION_MIX, E)
    ep_dur = np.array(DURATIONS)[ep_dur_i]
    n_ther = int(min(12, 3 + P // 150))
    ep_ther = rng.integers(1, n_ther + 1, E)
    ep_cpt = _choice(rng, CPT_MIX, E)
    ep_cpt_missing = rng.random(E) < MISSING["cpt_code"]
    ep_zs = rng.standard_normal(E)  # severity
    ep_zr = rng.standard_normal(E)  # response (positive = better than expected)
    ep_group = p_group[ep_pat]

    # --- planned sessions: intervals by band, jittered -----------------------------
    S = int(ep_nplan.sum())
    s_ep = np.repeat(np.arange(E), ep_nplan)
    ep_first = np.cumsum(ep_nplan) - ep_nplan
    s_k = np.arange(S) - ep_first[s_ep]
    s_band = ep_band[s_ep]
    iv = np.zeros(S, np.int64)
    for b, band in enumerate(bands):
        m = (s_band == b) & (s_k > 0)
        n = int(m.sum())
        if band == "twice_weekly":
            iv[m] = rng.choice([2, 3, 4, 5], size=n, p=[1 / 6, 2 / 6, 2 / 6, 1 / 6])
        elif band == "weekly":
            iv[m] = 7 + rng.integers(-2, 3, n) + 7 * (rng.random(n) < 0.07)
        elif band == "fortnightly":
            iv[m] = 14 + rng.integers(-3, 4, n) + 14 * (rng.random(n) < 0.04)
        elif band == "monthly":
            iv[m] = 28 + rng.integers(-5, 8, n)
    cum = np.cumsum(iv)
    s_off = cum - cum[ep_first[s_ep]]
    ep_span = s_off[ep_first + ep_nplan - 1]

    # --- each patient's timeline in the export window --------------------------------
    gap = rng.integers(SECOND_EPISODE_GAP[0], SECOND_EPISODE_GAP[1] + 1, E)
    ep_rel = np.zeros(E, np.int64)
    second = np.flatnonzero(ep_no > 0)
    ep_rel[second] = ep_rel[second - 1] + ep_span[second - 1] + gap[second]
    p_last_ep = np.cumsum(n_eps) - 1
    p_total = ep_rel[p_last_ep] + ep_span[p_last_ep]
    slack = np.maximum(window_days - 1 - p_total, 0)
    p_start = np.floor(rng.random(P) * (slack + 1)).astype(np.int64)
    p_num = np.empty(P, np.int64)  # patient ids in order of first visit
    p_num[np.lexsort((rng.random(P), p_start))] = np.arange(1, P + 1)

    s_day = p_start[ep_pat[s_ep]] + ep_rel[s_ep] + s_off
    kept = np.flatnonzero(s_day < window_days)  # the export period ends: later visits not yet
    order = kept[np.lexsort((s_k[kept], s_ep[kept], p_num[ep_pat[s_ep[kept]]], s_day[kept]))]
    # per-session random draws are made on the planned sessions (stable under truncation)
    s_sub_ther = rng.random(S) < OTHER_THERAPIST_SHARE
    s_ther_alt = rng.integers(1, n_ther + 1, S)
    s_other_dur = rng.random(S) < OTHER_DURATION_SHARE
    s_dur_alt = np.array(DURATIONS)[rng.integers(0, len(DURATIONS), S)]
    combos, combo_p = _technique_combos()
    s_combo = rng.choice(len(combos), size=S, p=combo_p)
    s_tech_missing = rng.random(S) < MISSING["techniques"]
    s_ther_missing = rng.random(S) < MISSING["therapist_id"]
    s_dotless = rng.random(S) < DOTLESS_SHARE
    e_pain = rng.standard_normal(S) * 0.7
    u_pain = rng.standard_normal(S) * 0.5

    # sorted, kept sessions
    ss_ep, ss_k, ss_day = s_ep[order], s_k[order], s_day[order]
    ss_pat = ep_pat[ss_ep]
    N = len(order)
    pos = np.arange(N)
    ep_nret = np.bincount(ss_ep, minlength=E)
    first_idx = np.full(E, -1)
    first_idx[ss_ep[ss_k == 0]] = pos[ss_k == 0]
    last_idx = np.full(E, -1)
    is_last = ss_k == ep_nret[ss_ep] - 1
    last_idx[ss_ep[is_last]] = pos[is_last]
    mid_idx = np.full(E, -1)
    is_mid = (ss_k == (ep_nret[ss_ep] - 1) // 2) & (ep_nret[ss_ep] >= 4)
    mid_idx[ss_ep[is_mid]] = pos[is_mid]
    nplan_s = ep_nplan[ss_ep]
    t_pre = np.where(nplan_s > 1, ss_k / np.maximum(nplan_s - 1, 1), 0.0)
    t_post = np.where(nplan_s > 1, t_pre, 1.0)

    # --- outcome model: one (baseline, improvement) per episode and instrument --------
    sets = _instrument_sets(registry)
    pr_ep, pr_m, pr_mean, pr_sd, pr_eff, pr_dec = [], [], [], [], [], []
    live = ep_nret > 0
    for gi, g in enumerate(groups):
        eps = np.flatnonzero(live & (ep_group == gi))
        for code in sets[g]:
            mean, sd, eff, dec = _measure_params(g, code, registry[code])
            pr_ep.append(eps)
            pr_m.append(np.full(len(eps), codes_reg.index(code)))
            for lst, v in ((pr_mean, mean), (pr_sd, sd), (pr_eff, eff), (pr_dec, dec)):
                lst.append(np.full(len(eps), v))
    pr_ep, pr_m, pr_mean, pr_sd, pr_eff, pr_dec = (np.concatenate(a) for a in
                                                   (pr_ep, pr_m, pr_mean, pr_sd, pr_eff, pr_dec))
    M = len(pr_ep)
    sign = np.array([1.0 if registry[c].better == "lower" else -1.0 for c in codes_reg])[pr_m]
    lo_v = np.array([registry[c].range_min for c in codes_reg])[pr_m]
    hi_v = np.array([registry[c].range_max for c in codes_reg])[pr_m]
    pain_code = codes_reg.index(SESSION_MEASURE) if SESSION_MEASURE in registry else -1
    is_pain = pr_m == pain_code
    band_name = np.array(bands)[ep_band[pr_ep]]
    ffac = np.array([FREQUENCY_FACTOR[b] for b in bands])[ep_band[pr_ep]]
    dfac = np.array([DURATION_FACTOR[d] for d in DURATIONS])[ep_dur_i[pr_ep]]
    pain_ffac = np.where(band_name == contract.SINGLE_SESSION, PAIN_SUSTAINED_SINGLE, ffac)
    immediate = PAIN_IMMEDIATE[0] + PAIN_IMMEDIATE[1] * dfac
    target = np.where(is_pain, immediate + pr_eff * pain_ffac * dfac * clinic_mult,
                      pr_eff * ffac * dfac * clinic_mult)
    a, b_ = LATENT_SHARE, np.sqrt(1 - LATENT_SHARE ** 2)
    z1 = a * ep_zs[pr_ep] + b_ * rng.standard_normal(M)
    z2 = a * ep_zr[pr_ep] + b_ * rng.standard_normal(M)
    r, k = PRE_POST_R, FINAL_SD_RATIO
    bad_base = sign * pr_mean + pr_sd * z1  # "badness": higher = worse, for every instrument
    bad_final = sign * pr_mean - target + r * k * pr_sd * z1 - k * np.sqrt(1 - r * r) * pr_sd * z2
    gain = bad_base - bad_final
    relief = np.maximum(immediate + PAIN_IMMEDIATE_SD * rng.standard_normal(M), 0.0)
    relief = np.where(ep_nplan[pr_ep] == 1, gain, relief)
    noise = 0.3 * pr_sd * rng.standard_normal((3, M))

    def score(pair: np.ndarray, bad: np.ndarray) -> np.ndarray:
        dec = pr_dec[pair]
        v = np.round(sign[pair] * bad * 10 ** dec) / 10 ** dec
        return np.clip(v, lo_v[pair], hi_v[pair])

    rows_s, rows_m, rows_t, rows_v = [], [], [], []

    def add(sess: np.ndarray, pair: np.ndarray, tp: int, bad: np.ndarray) -> None:
        rows_s.append(sess)
        rows_m.append(pr_m[pair])
        rows_t.append(np.full(len(sess), tp))
        rows_v.append(score(pair, bad))

    if pain_code >= 0:  # pre and post at every session
        pain_pair = np.full(E, -1)
        pain_pair[pr_ep[is_pain]] = np.flatnonzero(is_pain)
        pp = pain_pair[ss_ep]
        planned_pos = order  # index into the planned-session arrays
        last_planned = ss_k == nplan_s - 1
        e = np.where((ss_k == 0) | last_planned, 0.0, e_pain[planned_pos])
        u = np.where(last_planned, 0.0, u_pain[planned_pos])
        sustained = gain[pp] - relief[pp]
        add(pos, pp, 0, bad_base[pp] - sustained * _g(t_pre) + e)
        add(pos, pp, 1, bad_base[pp] - sustained * _g(t_post) - relief[pp] + e - u)

    other = np.flatnonzero(~is_pain)
    ep_o = pr_ep[other]
    add(first_idx[ep_o], other, 0, bad_base[other])
    p_drop = np.where(ep_zr[ep_o] < -0.5, DROPOUT[1], DROPOUT[0])
    ep_drop_u = rng.random(E)
    ep_single_u = rng.random(E)
    ep_mid_u = rng.random(E)
    nret = ep_nret[ep_o]
    has_post = np.where(nret >= 2, ep_drop_u[ep_o] >= p_drop, ep_single_u[ep_o] < SINGLE_POST_SHARE)
    for sel_idx, mask, row in ((last_idx, has_post, 1), (mid_idx, (nret >= 4) & (ep_mid_u[ep_o] < MID_SCORE_SHARE), 2)):
        pairs = other[mask]
        sess = sel_idx[pr_ep[pairs]]
        t = t_post[sess]
        bad = bad_base[pairs] - gain[pairs] * _g(t) + np.where(t < 1, noise[row, pairs], 0.0)
        add(sess, pairs, 1, bad)

    m_sess = np.concatenate(rows_s)
    m_meas = np.concatenate(rows_m)
    m_tp = np.concatenate(rows_t)
    m_val = np.concatenate(rows_v)
    m_order = np.lexsort((m_tp, m_meas, m_sess))
    m_sess, m_meas, m_tp, m_val = m_sess[m_order], m_meas[m_order], m_tp[m_order], m_val[m_order]

    # --- session columns -------------------------------------------------------------
    s_width = max(7, len(str(N + 1)))
    session_ids = _ids(f"{cid}-s", pos + 1, s_width)
    patient_ids = _ids(f"{cid}-p", p_num[ss_pat], max(6, len(str(P))))
    ep_num = np.empty(E, np.int64)  # the clinic numbers episodes as they open
    ep_num[np.lexsort((np.arange(E), np.where(first_idx >= 0, first_idx, N + np.arange(E))))] = np.arange(1, E + 1)
    dates = start + ss_day.astype("timedelta64[D]")
    month0 = start.astype("datetime64[M]").astype(np.int64)
    s_month = dates.astype("datetime64[M]").astype(np.int64) - month0

    vocab = sorted(set(code_list) | set(SUBSEQUENT_ENCOUNTER.values()))
    s_code = np.array([vocab.index(c) for c in code_list])[p_code[ss_pat]]
    for first, later in SUBSEQUENT_ENCOUNTER.items():
        s_code[(s_code == vocab.index(first)) & ((ss_k > 0) | (ep_no[ss_ep] > 0))] = vocab.index(later)
    dotless = np.full(N, True) if profile.dotless_codes else s_dotless[order]
    code_idx = s_code + np.where(dotless, len(vocab), 0)
    vocab += [c.replace(".", "") for c in vocab]
    condition_codes = pa.array(vocab).take(pa.array(code_idx))

    ther = np.where(s_sub_ther[order], s_ther_alt[order], ep_ther[ss_ep])
    dur = np.where(s_other_dur[order], s_dur_alt[order], ep_dur[ss_ep])
    cols: dict[str, pa.Array] = {
        "clinic_id": _constant(cid, N),
        "patient_id": patient_ids,
        "session_id": session_ids,
    }
    if profile.episode_ids == "given":
        cols["episode_id"] = _ids(f"{cid}-e", ep_num[ss_ep], max(6, len(str(E))))
    elif profile.episode_ids == "empty":
        cols["episode_id"] = pa.nulls(N, pa.string())
    if profile.date_style == "iso":
        cols["session_date"] = pa.array(dates, pa.date32())
    else:
        cols["session_day"] = pa.array(ss_day - p_start[ss_pat], pa.int32())
        cols["session_year"] = pa.array(dates.astype("datetime64[Y]").astype(np.int64) + 1970, pa.int32())
    cols["condition_code"] = condition_codes
    cols["duration_min"] = pa.array(dur, pa.int32())
    cols["techniques"] = _with_nulls(pa.array(combos).take(pa.array(s_combo[order])), s_tech_missing[order])
    cols["therapist_id"] = _with_nulls(_ids(f"{cid}-t", ther, 2), s_ther_missing[order])
    cols["cpt_code"] = _with_nulls(pa.array(list(CPT_MIX)).take(pa.array(ep_cpt[ss_ep])), ep_cpt_missing[ss_ep])
    for name, mix, arr in (("age_band", AGE_MIX, p_age), ("sex", SEX_MIX, p_sex), ("payer", PAYER_MIX, p_payer)):
        cols[name] = _with_nulls(pa.array(list(mix)).take(pa.array(arr[ss_pat])), p_missing[name][ss_pat])
    order_cols = [c for c in contract.column_names("sessions") if c in cols]
    sessions = pa.table({c: cols[c] for c in order_cols})

    measurements = pa.table({
        "clinic_id": _constant(cid, len(m_sess)),
        "session_id": session_ids.take(pa.array(m_sess)),
        "measure": pa.array(codes_reg).take(pa.array(m_meas)),
        "timepoint": pa.array(list(contract.TIMEPOINTS)).take(pa.array(m_tp)),
        "value": pa.array(m_val, pa.float64()),
    })
    first_of_patient = ss_day == p_start[ss_pat]
    return _Clinic(sessions, measurements, s_month, s_month[m_sess], first_of_patient, s_width)


# ---------------------------------------------------------------------------------------
# Bad rows and writing
# ---------------------------------------------------------------------------------------


def _set(table: pa.Table, column: str, row: int, value) -> pa.Table:
    col = table.column(column)
    if value is not None and isinstance(value, str) and col.type != pa.string():
        col = pc.cast(col, pa.string())
    mask = np.zeros(table.num_rows, bool)
    mask[row] = True
    new = pc.if_else(pa.array(mask), pa.scalar(value, col.type), col)
    return table.set_column(table.schema.get_field_index(column), column, new)


def _append(table: pa.Table, row: dict) -> pa.Table:
    extra = pa.table({f.name: pa.array([row[f.name]], f.type) for f in table.schema})
    return pa.concat_tables([table, extra])


def _pick(rng: np.random.Generator, candidates: np.ndarray, n: int) -> list[int]:
    if len(candidates) < n:
        return []
    return sorted(int(i) for i in rng.choice(candidates, size=n, replace=False))


def _inject_dates_and_duplicate(sessions: pa.Table, meas: pa.Table, candidates: np.ndarray,
                                rng: np.random.Generator, month: np.datetime64) -> tuple[pa.Table, pa.Table]:
    """Batch A: a malformed date, a duplicated session row, a value outside its range."""
    rows = _pick(rng, candidates, 2)
    if rows:
        y, mth = (int(x) for x in str(month).split("-"))
        last = (np.datetime64(str(month), "M") + 1).astype("datetime64[D]") - np.datetime64(str(month) + "-01")
        bad_day = 30 if mth == 2 else int(last.astype(int)) + 1
        bad_date = f"{y:04d}-{mth:02d}-{bad_day:02d}"
        if "session_date" in sessions.column_names:
            sessions = _set(sessions, "session_date", rows[0], bad_date)
        dup = rows[1]
        sessions = pa.concat_tables([sessions.slice(0, dup + 1), sessions.slice(dup, 1), sessions.slice(dup + 1)])
    pain = np.flatnonzero(np.asarray(pc.equal(meas["measure"], SESSION_MEASURE)))
    vrows = _pick(rng, pain, 1)
    if vrows:
        m = contract.measures()[SESSION_MEASURE]
        bad_value = float(m.range_max + 2)
        meas = _set(meas, "value", vrows[0], bad_value)
    return sessions, meas


def _inject_codes_and_orphans(sessions: pa.Table, meas: pa.Table, candidates: np.ndarray,
                              rng: np.random.Generator, clinic_id: str, s_width: int) -> tuple[pa.Table, pa.Table]:
    """Batch B: an invalid ICD-10 code, a 5-minute session, an unknown measure, an orphan."""
    rows = _pick(rng, candidates, 3)
    if rows:
        sessions = _set(sessions, "condition_code", rows[0], BAD_ICD10_CODE)
        sessions = _set(sessions, "duration_min", rows[1], BAD_DURATION_MIN)
        sid = sessions["session_id"][rows[2]].as_py()
        meas = _append(meas, {"clinic_id": clinic_id, "session_id": sid, "measure": BAD_MEASURE_CODE,
                              "timepoint": "pre", "value": 64.0})
        orphan = f"{clinic_id}-s{'9' * s_width}"
        meas = _append(meas, {"clinic_id": clinic_id, "session_id": orphan, "measure": SESSION_MEASURE,
                              "timepoint": "pre", "value": 6.0})
    return sessions, meas


def _write_table(table: pa.Table, path: Path, fmt: str, bom: bool) -> None:
    if fmt == "parquet":
        pq.write_table(table, path, compression="snappy")
        return
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=False, quoting_style="none"))
    header = (",".join(table.column_names) + "\n").encode("utf-8")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + header + sink.getvalue().to_pybytes())


def _fhir_extras(sessions: pa.Table) -> dict[str, list[str]]:
    """The FHIR clinic's few resources that are not contract rows (docs/fhir.md): a general check-up
    encounter with a pain score (both out of scope), a pain score entered in error (out of scope) and
    one whose encounter is not in the export (quarantined: a broken reference)."""
    sid = sessions["session_id"][0].as_py()
    pid = sessions["patient_id"][0].as_py()
    day = sessions["session_date"][0].as_py().isoformat()

    def obs(oid: str, status: str, enc: str) -> str:
        return json.dumps({"resourceType": "Observation", "id": oid, "status": status,
                           "code": {"coding": [{"system": "http://loinc.org", "code": "72514-3"}]},
                           "subject": {"reference": f"Patient/{pid}"}, "encounter": {"reference": f"Encounter/{enc}"},
                           "effectiveDateTime": f"{day}T18:00:00+01:00", "valueQuantity": {"value": 5}},
                          separators=(",", ":"))
    return {
        "Encounter": ['{"resourceType":"Encounter","id":"enc-checkup-' + sid + '","status":"finished","subject":'
                      '{"reference":"Patient/' + pid + '"},"period":{"start":"' + day + 'T17:30:00+01:00","end":"'
                      + day + 'T18:30:00+01:00"}}'],
        "Observation": [obs(f"obs-checkup-{sid}", "final", f"enc-checkup-{sid}"),
                        obs(f"obs-error-{sid}", "entered-in-error", f"enc-{sid}"),
                        obs(f"obs-orphan-{sid}", "final", f"enc-not-exported-{sid}")],
    }


def _write_fhir(batch_dir: Path, sessions: pa.Table, meas: pa.Table, clinic_id: str, exported_at: str,
                ref_year: int, extras: bool) -> None:
    """One month of the FHIR clinic as its EHR's Bulk Data export (pipeline/fhir/export.py)."""
    from pipeline.fhir.export import write_export

    write_export(batch_dir, sessions, meas, clinic_id, exported_at, ref_year,
                 extra=_fhir_extras(sessions) if extras else None)


def write_demo(out_dir: Path, clinics: int = 8, patients: int = 3000, seed: int = 7,
               start: str = "2026-01-01", months: int = 6, bad_rows: bool = True,
               progress: Callable[[str], None] | None = None) -> list[Path]:
    """Write demo export batches, one folder per clinic and month: ``<clinic_id>-<YYYY-MM>``.

    ``patients`` is the total across clinics; the period runs ``months`` calendar months from
    ``start``. With ``bad_rows`` a handful of invalid rows are planted (docs/demo.md lists
    them). ``progress`` is called with one line per batch written. Returns the batch folders
    in (clinic, month) order. The same arguments always write the same bytes.
    """
    if isinstance(clinics, bool) or not isinstance(clinics, int) or clinics < 1:
        raise ValueError(f"clinics must be a positive whole number, got {clinics!r}")
    if isinstance(patients, bool) or not isinstance(patients, int) or patients < clinics:
        raise ValueError(f"patients must be a whole number of at least one per clinic ({clinics}), got {patients!r}")
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise ValueError(f"months must be a positive whole number, got {months!r}")
    try:
        start_d = dt.date.fromisoformat(str(start))
    except ValueError:
        raise ValueError(f"start must be an ISO date YYYY-MM-DD, got {start!r}") from None
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    start64 = np.datetime64(start_d.isoformat(), "D")
    start_month = start64.astype("datetime64[M]")
    end64 = (start_month + months).astype("datetime64[D]") + (start64 - start_month.astype("datetime64[D]"))
    window_days = int((end64 - start64).astype(int))
    n_months = int(((end64 - 1).astype("datetime64[M]") - start_month).astype(int)) + 1

    master = np.random.default_rng([seed, 0])
    weights = master.uniform(0.6, 1.4, clinics)
    share = (patients - clinics) * weights / weights.sum()
    alloc = np.floor(share).astype(np.int64)
    alloc[np.argsort(-(share - alloc), kind="stable")[: patients - clinics - int(alloc.sum())]] += 1
    per_clinic = alloc + 1
    clinic_mult = np.exp(master.normal(0.0, CLINIC_EFFECT_SD, clinics))

    bad_a = (0, min(1, n_months - 1))
    bad_b = (min(2, clinics - 1), min(2, n_months - 1))
    written: list[Path] = []
    for ci in range(clinics):
        profile = clinic_profile(ci, clinics)
        data = _generate_clinic(profile, int(per_clinic[ci]), seed, start64, window_days, float(clinic_mult[ci]))
        s_bounds = np.searchsorted(data.session_month, np.arange(n_months + 1))
        m_bounds = np.searchsorted(data.measurement_month, np.arange(n_months + 1))
        for mi in range(n_months):
            s0, s1 = int(s_bounds[mi]), int(s_bounds[mi + 1])
            if s1 == s0:
                continue
            m0, m1 = int(m_bounds[mi]), int(m_bounds[mi + 1])
            sessions = data.sessions.slice(s0, s1 - s0)
            meas = data.measurements.slice(m0, m1 - m0)
            label = str(start_month + mi)
            if bad_rows and (ci, mi) in (bad_a, bad_b):
                rng_bad = np.random.default_rng([seed, 10_000 + ci, mi])
                candidates = np.flatnonzero(~data.first_of_patient[s0:s1])
                if (ci, mi) == bad_a:
                    sessions, meas = _inject_dates_and_duplicate(sessions, meas, candidates, rng_bad,
                                                                    np.datetime64(label, "M"))
                if (ci, mi) == bad_b:
                    sessions, meas = _inject_codes_and_orphans(sessions, meas, candidates, rng_bad,
                                                                  profile.clinic_id, data.session_width)
            export_id = f"{profile.clinic_id}-{label}"
            batch_dir = out_dir / export_id
            batch_dir.mkdir(parents=True, exist_ok=True)
            for stale in _table_files(batch_dir) + [batch_dir / "manifest.json"] + list(batch_dir.glob("*.ndjson")):
                stale.unlink(missing_ok=True)
            next_month = (np.datetime64(label, "M") + 1).astype("datetime64[D]")
            exported_at = f"{next_month}T{2 + ci % 6:02d}:{(17 * ci) % 60:02d}:00Z"
            if profile.fhir:
                _write_fhir(batch_dir, sessions, meas, profile.clinic_id, exported_at, start_d.year,
                            bad_rows and mi == min(1, n_months - 1))
            else:
                _write_table(sessions, batch_dir / f"sessions.{profile.sessions_format}",
                             profile.sessions_format, profile.bom)
                _write_table(meas, batch_dir / f"measurements.{profile.measurements_format}",
                             profile.measurements_format, profile.bom)
                write_manifest(batch_dir, export_id, profile.clinic_id, exported_at)
            written.append(batch_dir)
            if progress is not None:
                progress(f"{export_id}: {sessions.num_rows} sessions, {meas.num_rows} measurements")
    return written
