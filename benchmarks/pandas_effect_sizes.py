"""What a researcher would otherwise write: marts.effect_sizes with pandas + scipy, in one script.

    python benchmarks/pandas_effect_sizes.py INBOX OUT.parquet

Reads every export batch of the inbox (CSV or Parquet), keeps the valid rows (the contract's
rules that matter for the data: dates, ICD-10-CM codes, durations, known measures in range,
no duplicates, scores of known sessions), builds episodes of care (the clinic's episode_id or
the 60-day gap rule), baseline and final scores, and every figure of every cell
(network/clinic x condition group x frequency band, 'all' for the total, x measure): the
same definitions as statistics.md, computed the straightforward way (groupby, scipy per
cell). No suppression: the benchmark compares the cells the pipeline publishes.

Deliberately independent of the ``pipeline`` package (only the registry CSVs are shared), so
that agreement with ``outcomes run`` is a real cross-check.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special, stats

REGISTRY = Path(__file__).resolve().parents[1] / "pipeline" / "registry"
GAP_DAYS = 60
BANDS = ((1.5, "twice_weekly"), (0.75, "weekly"), (0.35, "fortnightly"))
ICD = r"^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$"
KEYS = ["level", "clinic_id", "condition_group", "frequency_band", "measure"]


def read_table(inbox: Path, table: str) -> pd.DataFrame:
    frames = []
    for folder in sorted(p for p in inbox.iterdir() if p.is_dir()):
        for path in sorted(folder.glob(f"{table}.*")):
            if path.suffix == ".csv":
                df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
            else:
                df = pd.read_parquet(path)
            frames.append(df.assign(_batch=folder.name))
    return pd.concat(frames, ignore_index=True)


def clean_sessions(s: pd.DataFrame) -> pd.DataFrame:
    s = s.copy()
    s["condition_code"] = s["condition_code"].astype(str).str.strip().str.upper()
    s["duration_min"] = pd.to_numeric(s["duration_min"], errors="coerce")
    date_text = s["session_date"] if "session_date" in s else pd.Series(pd.NA, index=s.index)
    s["session_date"] = pd.to_datetime(date_text, format="%Y-%m-%d", errors="coerce")
    s["session_day"] = pd.to_numeric(s.get("session_day"), errors="coerce")
    ok = (s["condition_code"].str.match(ICD) & s["duration_min"].between(10, 180)
          & (s["session_date"].notna() | (date_text.isna() & s["session_day"].notna())))
    s = s[ok]
    s = s.drop_duplicates(["clinic_id", "session_id"], keep="first")
    s["condition_code"] = s["condition_code"].str.replace(".", "", regex=False)
    epoch_days = (s["session_date"] - pd.Timestamp("1970-01-01")).dt.days
    s["day_number"] = epoch_days.fillna(s["session_day"]).astype("int64")
    if "episode_id" not in s:
        s["episode_id"] = pd.NA
    return s[["clinic_id", "patient_id", "session_id", "episode_id", "condition_code", "day_number", "duration_min"]]


def condition_groups(codes: pd.Series) -> pd.Series:
    groups = pd.read_csv(REGISTRY / "condition_groups.csv", dtype=str)
    prefixes = sorted(zip(groups["code_prefix"].str.upper(), groups["condition_group"]), key=lambda p: -len(p[0]))
    lookup = {}
    for code in codes.unique():
        lookup[code] = next((g for p, g in prefixes if code.startswith(p)), "other")
    return codes.map(lookup)


def episodes(s: pd.DataFrame) -> pd.DataFrame:
    s = s.assign(condition_group=condition_groups(s["condition_code"]))
    s = s.sort_values(["clinic_id", "patient_id", "condition_group", "day_number", "session_id"], kind="stable")
    derive = s["episode_id"].isna()
    d = s[derive]
    gap = d.groupby(["clinic_id", "patient_id", "condition_group"], sort=False)["day_number"].diff()
    number = (gap.isna() | (gap > GAP_DAYS)).astype(int).groupby(
        [d["clinic_id"], d["patient_id"], d["condition_group"]], sort=False).cumsum()
    s.loc[derive, "episode_id"] = "derived-" + d["condition_group"] + "-" + number.astype(str)
    return s


def episode_table(s: pd.DataFrame) -> pd.DataFrame:
    first = s.sort_values("day_number", kind="stable").groupby(["clinic_id", "patient_id", "episode_id"]).first()
    g = s.groupby(["clinic_id", "patient_id", "episode_id"])
    e = pd.DataFrame({"condition_group": first["condition_group"], "sessions": g.size(),
                      "span_days": g["day_number"].max() - g["day_number"].min()})
    spw = (e["sessions"] - 1) / (e["span_days"] / 7.0)
    e["sessions_per_week"] = spw.where(e["span_days"] > 0)
    band = pd.Series("monthly", index=e.index)
    for low, name in reversed(BANDS):
        band = band.mask(e["sessions_per_week"] >= low, name)
    e["frequency_band"] = band.mask(e["sessions_per_week"].isna(), "single_session")
    return e.reset_index()


def outcomes(m: pd.DataFrame, s: pd.DataFrame, e: pd.DataFrame, measures: pd.DataFrame) -> pd.DataFrame:
    m = m.copy()
    m["measure"] = m["measure"].str.strip().str.lower()
    m["timepoint"] = m["timepoint"].str.strip().str.lower()
    m["value"] = pd.to_numeric(m["value"], errors="coerce")
    m = m.merge(measures[["code", "range_min", "range_max"]], left_on="measure", right_on="code")
    m = m[m["timepoint"].isin(["pre", "post"]) & m["value"].between(m["range_min"], m["range_max"])]
    m = m.drop_duplicates(["clinic_id", "session_id", "measure", "timepoint"], keep="first")
    m = m.merge(s[["clinic_id", "patient_id", "session_id", "episode_id", "day_number"]], on=["clinic_id", "session_id"])
    m["post"] = (m["timepoint"] == "post").astype(int)
    m = m.sort_values(["clinic_id", "patient_id", "episode_id", "measure", "day_number", "session_id", "post"],
                      kind="stable").reset_index(drop=True)
    keys = ["clinic_id", "patient_id", "episode_id", "measure"]
    m["seq"] = m.groupby(keys, sort=False).cumcount()
    pre_seq = m["seq"].where(m["post"] == 0)
    m["baseline_seq"] = pre_seq.groupby([m[k] for k in keys], sort=False).transform("min")
    base = m[m["seq"] == m["baseline_seq"]].set_index(keys)["value"].rename("baseline")
    after = m[m["seq"] > m["baseline_seq"]]
    last_post = after[after["post"] == 1].groupby(keys, sort=False)["value"].last().rename("last_post")
    last_any = after.groupby(keys, sort=False)["value"].last().rename("last_any")
    o = pd.concat([base, last_post, last_any], axis=1, join="outer").dropna(subset=["baseline"])
    o["final"] = o["last_post"].fillna(o["last_any"])
    o = o.dropna(subset=["final"]).reset_index()
    o = o.merge(e, on=["clinic_id", "patient_id", "episode_id"]).merge(measures, left_on="measure", right_on="code")
    # d rounded to 9 decimals, as statistics.md and the pipeline define it: 64.6 - 61.6 is the 3 points
    # it is, and equal decimal changes (PSFS means such as 6.67 - 3.33) are the ties of the signed-rank test
    o["improvement"] = np.round(np.where(o["better"] == "lower", o["baseline"] - o["final"], o["final"] - o["baseline"]), 9)
    o["responder"] = o["improvement"] >= o["mcid"]
    return o


def hedges_j(m: int) -> float:
    return float(np.exp(special.gammaln(m / 2) - np.log(np.sqrt(m / 2)) - special.gammaln((m - 1) / 2))) if m > 1 else np.nan


def wilcoxon_p(d: np.ndarray) -> float:
    nz = d[d != 0]
    if nz.size == 0:
        return np.nan
    ties = np.unique(np.abs(nz)).size < nz.size
    exact = nz.size < 50 and not ties and nz.size == d.size  # R's rule: no ties, no zeros
    return float(stats.wilcoxon(nz, zero_method="wilcox", correction=True, method="exact" if exact else "approx").pvalue)


def cell(g: pd.DataFrame) -> dict:
    x, y, d = g["baseline"].to_numpy(), g["final"].to_numpy(), g["improvement"].to_numpy()
    n = len(g)
    sd = (lambda a: float(np.std(a, ddof=1)) if n > 1 else np.nan)
    bsd, fsd, dsd = sd(x), sd(y), sd(d)
    r = float(np.corrcoef(x, y)[0, 1]) if n > 2 and bsd > 0 and fsd > 0 else np.nan
    j = hedges_j(n - 1)
    dz = d.mean() / dsd if dsd > 0 else np.nan
    gz = j * dz
    half = 1.959963984540054 * np.sqrt(1 / n + gz * gz / (2 * n))
    smcr = j * d.mean() / bsd if bsd > 0 else np.nan
    k = int(g["responder"].sum())
    ci = stats.binomtest(k, n).proportion_ci(method="wilson")
    return {"n": n, "baseline_mean": x.mean(), "baseline_sd": bsd, "final_mean": y.mean(), "final_sd": fsd,
            "r_pre_post": r, "mean_improvement": d.mean(), "sd_improvement": dsd, "d_z": dz, "g_z": gz,
            "g_z_ci_low": gz - half, "g_z_ci_high": gz + half, "smcr": smcr,
            "smcr_var": 2 * (1 - r) / n + smcr * smcr / (2 * n), "wilcoxon_p": wilcoxon_p(d), "responders": k,
            "responder_rate": k / n, "responder_ci_low": ci.low, "responder_ci_high": ci.high}


def effect_sizes(o: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for level, by in (("network", ["condition_group", "measure"]), ("clinic", ["clinic_id", "condition_group", "measure"])):
        for band_split in (True, False):
            groups = by + ["frequency_band"] if band_split else by
            for key, g in o.groupby(groups, sort=True):
                key = dict(zip(groups, key))
                rows.append({"level": level, "clinic_id": key.get("clinic_id"), "condition_group": key["condition_group"],
                             "frequency_band": key.get("frequency_band", "all"), "measure": key["measure"], **cell(g)})
    out = pd.DataFrame(rows)
    for level in ("network", "clinic"):
        mask = (out["level"] == level) & (out["n"] >= 11) & out["wilcoxon_p"].notna()
        out.loc[mask, "q_value"] = stats.false_discovery_control(out.loc[mask, "wilcoxon_p"], method="bh")
    return out


def main(inbox: Path, out: Path) -> None:
    t0 = time.perf_counter()
    measures = pd.read_csv(REGISTRY / "measures.csv")
    s = clean_sessions(read_table(inbox, "sessions"))
    m = read_table(inbox, "measurements")
    t1 = time.perf_counter()
    s = episodes(s)
    e = episode_table(s)
    o = outcomes(m, s, e, measures)
    t2 = time.perf_counter()
    table = effect_sizes(o)
    table.to_parquet(out)
    t3 = time.perf_counter()
    print(f"read {t1 - t0:.1f} s, episodes and outcomes {t2 - t1:.1f} s, cells {t3 - t2:.1f} s; "
          f"{len(s)} sessions, {len(e)} episodes, {len(o)} outcomes, {len(table)} cells")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
