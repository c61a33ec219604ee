"""Models apart from operations (issue 15, item 2): each SQL file directly in a model layer's
folder creates the table (or view) it is named after, or is a macro_*.sql defining a macro;
queries and inserts live in the folder's operations/ or inputs/ subfolders."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

SQL = Path(__file__).resolve().parents[2] / "sql"
LAYERS = {"intermediate": "intermediate", "aggregates": "agg", "marts": "marts"}
CREATES = re.compile(r"^create or replace (?:temp )?(table|view|macro) ([a-z_.]+)", re.M)


@pytest.mark.parametrize("folder", sorted(LAYERS))
def test_each_model_file_creates_the_table_it_is_named_after(folder):
    files = sorted((SQL / folder).glob("*.sql"))
    assert files, folder
    for path in files:
        made = CREATES.findall(path.read_text(encoding="utf-8"))
        assert len(made) == 1, f"{path.name}: one create statement, found {made}"
        kind, name = made[0]
        if path.stem.startswith("macro_"):
            assert kind == "macro", path.name
        else:
            assert (kind, name) in {("table", f"{LAYERS[folder]}.{path.stem}"), ("view", f"{LAYERS[folder]}.{path.stem}")}, \
                f"{path.name} creates {kind} {name}, not {LAYERS[folder]}.{path.stem}"
