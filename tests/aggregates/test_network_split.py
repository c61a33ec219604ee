"""The demo network split into three sites (three inboxes by clinic), each run, exported and
merged at a hub, equals the single run over every batch: every published table, counts
exactly, the rest to 1e-12 relative; in any merge order. And ``outcomes run --shards 3`` equals
it too. The hub's reports are built with no staging, no episodes."""
from __future__ import annotations

import json
import os
import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest

from pipeline.cli import main

pytest.importorskip("pipeline.marts", reason="needs the aggregates layer (branch agglayer)")

MARTS = ("effect_sizes", "pooled_effects", "dose_response", "dose_response_points", "clinic_benchmarks",
         "benchmark_model_fit", "clinic_trends", "completeness")
SITES = 3
KEY = "aggregates-test-network-key-0123456789abcdef"


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    old = os.environ.get("OUTCOMES_NETWORK_KEY")
    os.environ["OUTCOMES_NETWORK_KEY"] = KEY
    root = tmp_path_factory.mktemp("network")
    inbox = root / "inbox"
    assert main(["demo", "--out", str(inbox)]) == 0  # the default demo network: 8 clinics, one of them FHIR
    assert main(["run", "--inbox", str(inbox), "--warehouse", str(root / "single.duckdb"),
                 "--reports", str(root / "single-reports")]) == 0
    clinics = sorted({p.name.rsplit("-", 2)[0] for p in inbox.iterdir()})
    files = []
    for s in range(SITES):
        site_inbox = root / f"site{s}" / "inbox"
        site_inbox.mkdir(parents=True)
        for batch in inbox.iterdir():
            if clinics.index(batch.name.rsplit("-", 2)[0]) % SITES == s:
                shutil.copytree(batch, site_inbox / batch.name)
        wh = root / f"site{s}" / "site.duckdb"
        assert main(["run", "--inbox", str(site_inbox), "--warehouse", str(wh),
                     "--reports", str(root / f"site{s}" / "reports")]) == 0
        files.append(root / f"site{s}.aggregates.zip")
        assert main(["aggregates", "export", "--warehouse", str(wh), "--out", str(files[-1]), "--site", f"site-{s}"]) == 0
    yield root, files
    if old is None:
        os.environ.pop("OUTCOMES_NETWORK_KEY", None)
    else:
        os.environ["OUTCOMES_NETWORK_KEY"] = old


def _table(db, name) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.sql(f"select * from marts.{name}").to_arrow_table().to_pandas()
    finally:
        con.close()


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in df.columns if df[c].dtype.kind not in "fc" and df[c].map(lambda v: isinstance(v, (str, int, bool, np.integer, np.bool_)) or v is None).all()]
    floats = [c for c in df.columns if df[c].dtype.kind == "f"]
    return df.sort_values(keys + floats, na_position="first", kind="stable").reset_index(drop=True)


def _plain(value):
    if isinstance(value, (np.ndarray, list, tuple)):
        return [_plain(v) for v in value]
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA or value is pd.NaT:
        return None
    return value.item() if isinstance(value, np.generic) else value


def assert_same_marts(expected_db, actual_db):
    for name in MARTS:
        a, b = _sorted(_table(expected_db, name)), _sorted(_table(actual_db, name))
        assert list(a.columns) == list(b.columns), name
        assert len(a) == len(b) and len(a) > 0, name
        for col in a.columns:
            x, y = a[col], b[col]
            if x.dtype.kind == "f" or y.dtype.kind == "f":
                xv, yv = x.to_numpy(dtype=float), y.to_numpy(dtype=float)
                assert np.array_equal(np.isnan(xv), np.isnan(yv)), (name, col)
                ok = ~np.isnan(xv)
                np.testing.assert_allclose(yv[ok], xv[ok], rtol=1e-12, atol=1e-15, err_msg=f"{name}.{col}")
            else:  # counts, keys, flags, lists: exactly
                assert [_plain(v) for v in x] == [_plain(v) for v in y], (name, col)


def test_three_sites_merged_equal_the_single_run(network):
    root, files = network
    hub = root / "hub.duckdb"
    assert main(["aggregates", "merge", *map(str, files), "--warehouse", str(hub), "--reports", str(root / "hub-reports")]) == 0
    assert_same_marts(root / "single.duckdb", hub)
    con = duckdb.connect(str(hub), read_only=True)
    try:
        assert con.sql("select count(*) from audit.aggregate_sites").fetchall()[0][0] == SITES
        tables = {r[0] for r in con.sql("select table_schema || '.' || table_name from information_schema.tables "
                                        "where table_schema in ('staging', 'intermediate')").fetchall()}
        assert con.sql("select count(*) from staging.sessions").fetchall()[0][0] == 0  # a hub: no row-level data
        assert not {t for t in tables if t.startswith("intermediate.")}
    finally:
        con.close()
    single = duckdb.connect(str(root / "single.duckdb"), read_only=True)
    try:
        batches = single.sql("select batch_id, sha256 from audit.batches where status = 'accepted' order by all").fetchall()
    finally:
        single.close()
    from pipeline.warehouse import frame

    for name in ("quarantine_rows", "quarantine_reasons"):  # the data-quality page's counts, from the sites
        con, single = duckdb.connect(str(hub), read_only=True), duckdb.connect(str(root / "single.duckdb"), read_only=True)
        try:
            pd.testing.assert_frame_equal(frame(con, f"reports/{name}"), frame(single, f"reports/{name}"))
            assert len(frame(single, f"reports/{name}")) > 0
        finally:
            con.close()
            single.close()
    path = next(p for p in (root / "hub-reports" / "evidence").glob("*.json") if p.name != "evidence_schema.json")
    pack = json.loads(path.read_text())
    assert sorted((b["batch_id"], b["sha256"]) for b in pack["provenance"]["batches"]) == batches
    assert (root / "hub-reports" / "index.html").is_file() and (root / "hub-reports" / "quality.html").is_file()
    _the_pack_lists_the_sites(pack, path.with_suffix(".html").read_text(encoding="utf-8"), files)


def _the_pack_lists_the_sites(pack, html, files):
    """The hub's evidence pack follows its schema and names every site: its version, commit,
    batches (with their sha256, as its manifest has them), registry, export time and file sha256."""
    from pipeline.aggregates import format as aggfmt
    from pipeline.reports import evidence

    evidence.validate(pack)
    sites = {s["site_id"]: s for s in pack["provenance"]["sites"]}
    assert sorted(sites) == [f"site-{s}" for s in range(SITES)]
    for f in files:
        m = aggfmt.read(f).manifest
        site = sites[m["site_id"]]
        assert (site["code_version"], site["git_commit"], site["package_version"]) == \
            (m["code"]["code_version"], m["code"]["git_commit"], m["code"]["version"])
        assert site["batches"] == [{k: b[k] for k in ("batch_id", "sha256", "status")} for b in m["batches"]]
        assert site["batch_count"] == len(m["batches"]) and site["file_sha256"] == aggfmt.file_sha256(f)
        assert site["registry_sha256"] == m["registry_sha256"] and site["exported_at"].replace(" ", "T") + "Z" == m["exported_at"]
        assert f'<tr data-site="{m["site_id"]}">' in html and site["code_version"] in html


def test_merge_order_does_not_matter(network):
    root, files = network
    hub = root / "hub-reversed.duckdb"
    assert main(["aggregates", "merge", *map(str, files[::-1]), "--warehouse", str(hub)]) == 0
    assert_same_marts(root / "single.duckdb", hub)
    hub_two_steps = root / "hub-two-steps.duckdb"  # one site merged later into an existing hub
    assert main(["aggregates", "merge", str(files[1]), "--warehouse", str(hub_two_steps)]) == 0
    assert main(["aggregates", "merge", str(files[2]), str(files[0]), "--warehouse", str(hub_two_steps)]) == 0
    assert_same_marts(root / "single.duckdb", hub_two_steps)


def test_bad_files_change_nothing_and_say_why(network, capsys, tmp_path):
    root, files = network
    hub = tmp_path / "hub.duckdb"
    assert main(["aggregates", "merge", str(files[0]), "--warehouse", str(hub)]) == 0
    before = _table(hub, "effect_sizes")
    cut = tmp_path / "cut.zip"
    cut.write_bytes(files[1].read_bytes()[: files[1].stat().st_size // 2])
    capsys.readouterr()
    for args in ([str(files[1]), str(cut)], [str(files[0]).replace(".zip", ".missing.zip")],
                 [str(root / "single.duckdb")], [str(files[1]), str(files[1])]):
        assert main(["aggregates", "merge", *args, "--warehouse", str(hub)]) == 1
        err = capsys.readouterr().err
        assert err.startswith("outcomes: ") and err.count("\n") == 1 and "Traceback" not in err
        pd.testing.assert_frame_equal(_table(hub, "effect_sizes"), before)


def test_the_export_holds_no_patient_and_no_date(network):
    import io
    import re
    import zipfile

    import pyarrow.parquet as pq

    root, files = network
    single = duckdb.connect(str(root / "single.duckdb"), read_only=True)
    try:
        patients = {r[0] for r in single.sql("select distinct patient_id from staging.sessions").fetchall()}
        episodes = {r[0] for r in single.sql("select distinct episode_id from staging.sessions where episode_id is not null").fetchall()}
    finally:
        single.close()
    for f in files:
        with zipfile.ZipFile(f) as z:
            for name in z.namelist():
                data = z.read(name)
                if name.endswith(".parquet"):
                    t = pq.read_table(io.BytesIO(data))
                    assert not any(("date" in str(x)) or ("timestamp" in str(x)) for x in t.schema.types), name
                    assert not {"patient_id", "episode_id", "session_id", "therapist_id"} & set(t.column_names), name
                    values = {str(v) for col in t.columns for v in col.to_pylist()}
                else:  # the manifest: its one timestamp is the export's own (exported_at), no date of care
                    manifest = json.loads(data)
                    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", manifest.pop("exported_at"))
                    values = set(re.findall(r'"([^"]*)"', json.dumps(manifest)))
                assert not values & patients, name
                assert not values & episodes, name
                assert not any(re.search(r"\d{4}-\d{2}-\d{2}", v) for v in values), name


def test_shards_equal_the_single_run(network):
    root, _ = network
    wh = root / "sharded.duckdb"
    assert main(["run", "--shards", "3", "--inbox", str(root / "inbox"), "--warehouse", str(wh),
                 "--reports", str(root / "sharded-reports")]) == 0
    assert_same_marts(root / "single.duckdb", wh)
    shards = sorted((root / "sharded.duckdb.shards").glob("shard-*.duckdb"))
    assert 1 < len(shards) <= 3
    # a second run with nothing new: the same marts (each shard's warehouse is incremental)
    assert main(["run", "--shards", "3", "--inbox", str(root / "inbox"), "--warehouse", str(wh),
                 "--reports", str(root / "sharded-reports")]) == 0
    assert_same_marts(root / "single.duckdb", wh)
