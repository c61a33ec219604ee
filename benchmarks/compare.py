"""Do two effect-size tables agree? The pipeline's marts.effect_sizes against the pandas script's.

    python benchmarks/compare.py WAREHOUSE.duckdb PANDAS.parquet

Compares the set of cells and every figure the pipeline publishes (a suppressed cell, or a
figure withheld to protect a small count, is null in the mart and is not compared) with a
relative tolerance of 1e-9; prints one line and exits 1 when they disagree.
"""
from __future__ import annotations

import sys

import duckdb
import numpy as np
import pandas as pd

KEYS = ["level", "clinic_id", "condition_group", "frequency_band", "measure"]
FIGURES = ["n", "baseline_mean", "baseline_sd", "final_mean", "final_sd", "r_pre_post", "mean_improvement",
           "sd_improvement", "d_z", "g_z", "g_z_ci_low", "g_z_ci_high", "smcr", "smcr_var", "wilcoxon_p",
           "responders", "responder_rate", "responder_ci_low", "responder_ci_high"]
RTOL, ATOL = 1e-9, 1e-12


def compare(warehouse: str, parquet: str) -> dict:
    con = duckdb.connect(warehouse, read_only=True)
    try:
        pipe = con.sql("select * from marts.effect_sizes").to_arrow_table().to_pandas()
    finally:
        con.close()
    ref = pd.read_parquet(parquet)
    for df in (pipe, ref):
        df["clinic_id"] = df["clinic_id"].astype(object).where(df["clinic_id"].notna(), "")
    merged = pipe.merge(ref, on=KEYS, how="outer", suffixes=("", "_pandas"), indicator=True)
    only = int((merged["_merge"] != "both").sum())
    published = merged[(merged["_merge"] == "both") & ~merged["suppressed"].astype(bool)]
    worst, worst_col, hidden = 0.0, None, 0
    for col in FIGURES:
        a = pd.to_numeric(published[col], errors="coerce").to_numpy(float)
        b = pd.to_numeric(published[f"{col}_pandas"], errors="coerce").to_numpy(float)
        withheld = np.isnan(a)  # null in the mart: none, or withheld by suppression (a small count)
        err = np.where(withheld & np.isnan(b), 0.0, np.abs(a - b) / (ATOL + RTOL * np.abs(b)))
        err = np.where(withheld & ~np.isnan(b), 0.0, err)
        hidden += int((withheld & ~np.isnan(b)).sum())
        err = np.nan_to_num(err, nan=np.inf)
        if err.size and err.max() > worst:
            worst, worst_col = float(err.max()), col
    return {"cells": len(pipe), "published": len(published), "unmatched": only, "withheld_figures": hidden,
            "worst": worst, "worst_column": worst_col, "agree": only == 0 and worst <= 1.0}


if __name__ == "__main__":
    out = compare(sys.argv[1], sys.argv[2])
    print(out)
    sys.exit(0 if out["agree"] else 1)
