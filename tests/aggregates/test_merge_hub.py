"""Export and merge on small hand-made site warehouses (the hub's mechanics; the marts builder
replaced by a sum): exact HUGEINT sums, no patient or date in the file, re-merge replaces a
site, and every bad input leaves the hub as it was."""
from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import datetime

import pyarrow.parquet as pq
import pytest

from pipeline import warehouse
from pipeline.aggregates import export, merge
from pipeline.aggregates import format as fmt
from pipeline.aggregates.format import AggregatesError

BIG = 2 ** 100 + 7  # beyond a double's exact integers


def _site(path, clinics, scale=1, gap=60):
    con = warehouse.connect(path)
    warehouse.ensure_schema(con)
    export.load_reference(con)
    if gap is not None:  # as intermediate.build_episodes records it
        warehouse.run(con, "audit/analysis_setting_record", {"setting": "episode_gap_days", "value": json.dumps(gap)})
    con.execute("create schema if not exists agg")
    con.execute("create table agg.effect_cells (clinic_id varchar, measure varchar, n bigint, sum_x hugeint, mean double)")
    for i, c in enumerate(clinics):
        con.execute("insert into agg.effect_cells values ($c, 'pain_nrs', $n, $s, 0.1)", {"c": c, "n": 10 + i, "s": BIG * scale + i})
        con.execute("insert into audit.batches values ($b, $c, 'accepted', [], $sha, 5, 4, 1, $t, '/secret/folder', '2026-01-01')",
                    {"b": f"{c}-b1", "c": c, "sha": "e" * 64, "t": datetime(2026, 1, 2)})
        con.execute("insert into audit.batch_files values ($b, $sha, 'sessions', 'sessions.csv', 'csv', 5, $sha)",
                    {"b": f"{c}-b1", "sha": "e" * 64})
    con.close()
    return path


def _fake_marts(con, settings):
    con.execute("create or replace table marts.effect_sizes as select clinic_id, sum(n) as n, sum(sum_x) as sum_x, "
                "false as suppressed from agg.effect_cells group by all")


@pytest.fixture
def sites(tmp_path, monkeypatch):
    monkeypatch.setattr(merge, "build_marts", _fake_marts)
    files = {}
    for name, clinics in (("a", ["c1", "c2"]), ("b", ["c3"])):
        db = _site(tmp_path / f"{name}.duckdb", clinics)
        files[name] = tmp_path / f"{name}.zip"
        export.export(db, files[name], site_id=f"site-{name}")
    return files


def _hub_rows(hub):
    con = warehouse.connect(hub, read_only=True)
    try:
        return (con.sql("select * from agg.effect_cells order by all").fetchall(),
                con.sql("select site_id, file_sha256 from audit.aggregate_sites order by all").fetchall(),
                con.sql("select batch_id from audit.batches order by all").fetchall())
    finally:
        con.close()


def test_export_has_no_patient_row_and_no_date(sites):
    with zipfile.ZipFile(sites["a"]) as z:
        for name in z.namelist():
            data = z.read(name)
            if name.endswith(".parquet"):
                table = pq.read_table(io.BytesIO(data))
                assert not {"patient_id", "episode_id", "session_id", "session_date"} & set(table.column_names)
                assert not any("date" in str(t) or "timestamp" in str(t) for t in table.schema.types)
                text = str(table.to_pylist())
            else:  # the manifest: its one timestamp is the export's own, no date of care
                manifest = json.loads(data)
                assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", manifest.pop("exported_at"))
                assert manifest["settings"] == {"episode_gap_days": 60}
                text = json.dumps(manifest)
            assert not re.search(r"\d{4}-\d{2}-\d{2}", text), name
            assert "/secret/folder" not in text


def test_merge_sums_exactly_and_remerge_replaces(sites, tmp_path):
    hub = tmp_path / "hub.duckdb"
    merge.merge([sites["a"], sites["b"]], hub)
    rows, recorded, batches = _hub_rows(hub)
    assert [r[3] for r in rows] == [BIG, BIG + 1, BIG]  # HUGEINT through Parquet, exactly
    assert [s for s, _ in recorded] == ["site-a", "site-b"]
    assert len(batches) == 3
    # site a sends a newer file (one clinic less): it replaces site a's rows, site b stays
    db = _site(tmp_path / "a2.duckdb", ["c1"], scale=2)
    newer = tmp_path / "a2.zip"
    export.export(db, newer, site_id="site-a")
    merge.merge([newer], hub)
    rows, recorded, batches = _hub_rows(hub)
    assert [(r[0], r[3]) for r in rows] == [("c1", 2 * BIG), ("c3", BIG)]
    assert [b for (b,) in batches] == ["c1-b1", "c3-b1"]
    assert merge.summary(hub).startswith(f"{hub}: 2 sites, 2 clinics")
    # replace_all (a shard run's merge): only the files' sites remain, each once
    merge.merge([sites["b"]], hub, replace_all=True)
    merge.merge([sites["b"]], hub, replace_all=True)
    rows, recorded, batches = _hub_rows(hub)
    assert [(r[0], r[3]) for r in rows] == [("c3", BIG)] and [s for s, _ in recorded] == ["site-b"]
    assert [b for (b,) in batches] == ["c3-b1"]


def test_bad_inputs_leave_the_hub_unchanged(sites, tmp_path):
    hub = tmp_path / "hub.duckdb"
    merge.merge([sites["a"]], hub)
    before = _hub_rows(hub)
    # the same clinic from another site: in the files given, and against the hub
    other = tmp_path / "other.zip"
    export.export(_site(tmp_path / "o.duckdb", ["c2"]), other, site_id="site-o")
    cut = tmp_path / "cut.zip"
    cut.write_bytes(sites["b"].read_bytes()[:-40])
    notes = tmp_path / "notes.zip"
    notes.write_text("not a zip")
    for files, words in (([sites["b"], other], "already in the hub from site 'site-a'"),
                         ([sites["b"], cut], "cut short"),
                         ([notes], "not an aggregates file"),
                         ([sites["b"], sites["b"]], "both from site 'site-b'")):
        with pytest.raises(AggregatesError, match=re.escape(words)):
            merge.merge(files, hub)
        assert _hub_rows(hub) == before


def test_a_failing_build_rolls_back(sites, tmp_path, monkeypatch):
    hub = tmp_path / "hub.duckdb"
    merge.merge([sites["a"]], hub)
    before = _hub_rows(hub)

    def broken(con, settings):
        raise RuntimeError("boom")

    monkeypatch.setattr(merge, "build_marts", broken)
    with pytest.raises(RuntimeError):
        merge.merge([sites["b"]], hub)
    assert _hub_rows(hub) == before


def test_a_site_warehouse_is_not_a_hub(sites, tmp_path):
    db = tmp_path / "a.duckdb"
    con = warehouse.connect(db)
    warehouse.ensure_schema(con)
    con.execute("insert into staging.sessions (clinic_id, patient_id, session_id, condition_code, duration_min, "
                "_batch_id, _row_number) values ('c1', 'p1', 's1', 'M545', 45, 'c1-2026-01', 1)")  # one staged row
    con.close()
    with pytest.raises(AggregatesError, match="is a site's warehouse"):
        merge.merge([sites["b"]], db)


def test_another_registry_is_refused(sites, tmp_path, monkeypatch):
    monkeypatch.setattr(merge, "package_registry_sha256", lambda: "0" * 64)
    with pytest.raises(AggregatesError, match="another measure registry"):
        merge.merge([sites["a"]], tmp_path / "hub.duckdb")
    assert not (tmp_path / "hub.duckdb").exists()


def test_outcomes_run_refuses_a_hub(sites, tmp_path, capsys):
    from pipeline.cli import main

    hub = tmp_path / "hub.duckdb"
    merge.merge([sites["a"]], hub)
    before = _hub_rows(hub)
    (tmp_path / "inbox").mkdir()
    capsys.readouterr()
    assert main(["run", "--inbox", str(tmp_path / "inbox"), "--warehouse", str(hub), "--reports", str(tmp_path / "r")]) == 1
    assert "is a hub of merged aggregates" in capsys.readouterr().err
    assert _hub_rows(hub) == before


def _without_settings(path, out):
    """The file as an earlier version wrote it: a manifest without settings (parts unchanged)."""
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    manifest = json.loads(members.pop(fmt.MANIFEST))
    del manifest["settings"]
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr(fmt.MANIFEST, json.dumps(manifest))
        for n, d in members.items():
            z.writestr(n, d)
    return out


def test_the_hub_records_each_sites_export_and_settings(sites, tmp_path):
    hub = tmp_path / "hub.duckdb"
    merge.merge([sites["a"], sites["b"]], hub)
    con = warehouse.connect(hub, read_only=True)
    try:
        rows = con.sql("select site_id, exported_at, settings, file_sha256 from audit.aggregate_sites order by all").fetchall()
        recorded = warehouse.run(con, "audit/analysis_settings")
    finally:
        con.close()
    for (site, when, settings, sha), name in zip(rows, ("a", "b")):
        manifest = fmt.read(sites[name]).manifest
        assert when.strftime("%Y-%m-%dT%H:%M:%SZ") == manifest["exported_at"]
        assert json.loads(settings) == {"episode_gap_days": 60} and sha == fmt.file_sha256(sites[name])
    assert [(k, json.loads(v)) for k, v in recorded] == [("episode_gap_days", 60)]


def test_sites_with_other_settings_are_refused(sites, tmp_path, capsys):
    from pipeline.cli import main

    hub = tmp_path / "hub.duckdb"
    merge.merge([sites["a"]], hub)
    before = _hub_rows(hub)
    gap30 = tmp_path / "gap30.zip"
    export.export(_site(tmp_path / "g.duckdb", ["c8"], gap=30), gap30, site_id="site-g")
    old = _without_settings(sites["b"], tmp_path / "old.zip")
    for files, words in (([sites["b"], gap30], "with episode_gap_days 60 but"),
                         ([gap30], "but the hub's site 'site-a' with episode_gap_days 60"),
                         ([old], "does not record the analysis settings")):
        capsys.readouterr()
        assert main(["aggregates", "merge", *map(str, files), "--warehouse", str(hub)]) == 1
        err = capsys.readouterr().err
        assert err.startswith("outcomes: ") and err.count("\n") == 1 and words in err, err
        assert "export again" in err or "export it again" in err
        assert _hub_rows(hub) == before
    merge.merge([gap30], tmp_path / "hub30.duckdb")  # alone, or with its like, it merges


def test_a_hub_site_without_settings_must_be_merged_anew(sites, tmp_path):
    hub = tmp_path / "hub.duckdb"
    merge.merge([sites["a"]], hub)
    con = warehouse.connect(hub)
    for column in ("exported_at", "settings"):  # a hub made by an earlier version: its table had neither
        con.execute(f"alter table audit.aggregate_sites drop column {column}")
    con.close()
    before = _hub_rows(hub)
    with pytest.raises(AggregatesError, match="holds site 'site-a' from a file without analysis settings"):
        merge.merge([sites["b"]], hub)  # the columns are added (empty), the site is refused
    assert _hub_rows(hub) == before
    merge.merge([sites["b"], sites["a"]], hub)  # site a's new file with it: accepted
    assert [s for s, _ in _hub_rows(hub)[1]] == ["site-a", "site-b"]


def test_a_warehouse_without_recorded_settings_is_not_exported(tmp_path):
    db = _site(tmp_path / "old.duckdb", ["c1"], gap=None)
    with pytest.raises(AggregatesError, match="does not record the analysis settings .* run 'outcomes run' on it again"):
        export.export(db, tmp_path / "old.zip")
    assert not (tmp_path / "old.zip").exists()
