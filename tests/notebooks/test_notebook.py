"""The researcher notebook runs end to end on a small demo warehouse, in this venv's Python.

The kernel is a kernelspec written into a temporary folder whose ``argv`` is this test's own
``sys.executable``, handed to nbclient through its own KernelSpecManager: no installed or
user-level kernelspec is read, so the notebook always runs against the code under test, also
in a fresh CI venv where only ``pip install -e .[test]`` was done (nbclient, nbformat,
ipykernel come from the ``test`` extra).
"""
from __future__ import annotations

import csv
import json
import math
import os
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

from pipeline import cohorts
from pipeline.cli import main

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "cohort_analysis.ipynb"
KERNEL = "outcomes-test-venv"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("notebook-demo")
    inbox, wh, reports = root / "inbox", root / "w.duckdb", root / "reports"
    assert main(["demo", "--out", str(inbox), "--clinics", "3", "--patients", "600"]) == 0
    assert main(["run", "--inbox", str(inbox), "--warehouse", str(wh), "--reports", str(reports)]) == 0
    return wh


def _kernel_manager(root: Path) -> KernelManager:
    spec_dir = root / "kernels" / KERNEL
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "outcomes test venv",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    ksm = KernelSpecManager(kernel_dirs=[str(root / "kernels")])
    return KernelManager(kernel_name=KERNEL, kernel_spec_manager=ksm)


def test_notebook_is_stored_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "the notebook has no code cells"
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None, f"cell {cell.get('id')} has stored output"
    # only the public API and the public marts
    source = "\n".join(c.source for c in code)
    assert "from pipeline import cohorts" in source
    for private in ("intermediate.", "staging.", "raw.", "quarantine.", "pipeline.stats", "pipeline.effects"):
        assert private not in source, private


def test_notebook_runs_and_exports_tidy_tables(warehouse, tmp_path, monkeypatch):
    out = tmp_path / "out"
    monkeypatch.setenv("OUTCOMES_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("OUTCOMES_NOTEBOOK_OUT", str(out))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # one extra cell, in memory only: which interpreter and which package did the kernel use?
    nb.cells.append(nbformat.v4.new_code_cell(
        "import sys, pipeline; print(sys.executable); print(pipeline.__file__)", id="test-probe"))
    client = NotebookClient(
        nb, km=_kernel_manager(tmp_path), timeout=600, allow_errors=False,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError with the cell and traceback on any error

    probe = "".join(o.get("text", "") for o in nb.cells[-1].outputs).split("\n")
    assert Path(probe[0]).resolve() == Path(sys.executable).resolve(), probe
    assert Path(probe[1]).resolve().is_relative_to(REPO), probe

    files = {
        "cohort_effects.csv": ["cohort", "measure", "frequency_band", "n", "mean_improvement", "g_z",
                               "g_z_ci_low", "g_z_ci_high", "smcr", "smcr_var", "wilcoxon_p",
                               "responder_rate", "q_value", "suppressed"],
        "cohort_comparisons.csv": ["measure", "cohort_a", "cohort_b", "n_a", "n_b", "mean_difference",
                                   "mean_difference_ci_low", "mean_difference_ci_high", "mean_difference_p",
                                   "responder_difference", "responder_difference_ci_low",
                                   "responder_difference_ci_high", "suppressed", "note"],
    }
    for name, expected in files.items():
        data = out / name
        dictionary = data.with_name(data.stem + ".dictionary.csv")
        assert data.is_file() and dictionary.is_file(), name
        table = pd.read_csv(data)
        assert len(table) > 0, name
        for column in expected:
            assert column in table.columns, (name, column)
        with open(dictionary, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert [r["name"] for r in rows] == list(table.columns)
        assert all(r["type"] in {"integer", "number", "text", "boolean"} and r["definition"] for r in rows)
    effects = pd.read_csv(out / "cohort_effects.csv")
    assert (effects["frequency_band"] == "all").any()
    # suppression reached the export: no published row below 11 episodes, suppressed rows are empty
    assert (effects.loc[~effects["suppressed"], "n"] >= 11).all()
    assert effects.loc[effects["suppressed"], "g_z"].isna().all()
    comparisons = pd.read_csv(out / "cohort_comparisons.csv")
    assert set(comparisons["cohort_b"]) == {"neck pain, monthly", "low back pain, self-pay"}
    assert (out / "neck_pain_g_z_by_band.html").is_file()


def test_cohort_effects_reproduce_the_published_cells(warehouse):
    """The API's figures for a condition equal marts.effect_sizes at network level."""
    con = cohorts.open_warehouse(warehouse)
    try:
        mart = con.sql("select * from marts.effect_sizes where level = 'network'").to_arrow_table().to_pandas()
        compared = 0
        for group in sorted(mart["condition_group"].unique()):
            mine = cohorts.cohort_effects(con, cohorts.Cohort(condition_group=group), by="frequency_band")
            pub = mart[mart["condition_group"] == group]
            both = mine.merge(pub, on=["measure", "frequency_band"], suffixes=("", "_mart"))
            assert len(both) == len(pub) == len(mine), group
            for _, row in both.iterrows():
                if row["suppressed"] or row["suppressed_mart"]:
                    continue
                for name in cohorts.FIGURES:
                    a, b = row[name], row[name + "_mart"]
                    if pd.isna(a) or pd.isna(b):
                        # responder figures may be hidden by either table's complementary rule
                        assert name in cohorts.RESPONDER_FIGURES or (pd.isna(a) and pd.isna(b)), (group, name)
                        continue
                    assert math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12), (group, name, a, b)
                    compared += 1
        assert compared > 100
    finally:
        con.close()
