"""Splitting a network's inbox into shards by clinic: stable, whole clinics, links not copies."""
from __future__ import annotations

import json

import pytest

from pipeline.aggregates import shards


def test_shard_of_is_stable_and_spread():
    # fixed values: the hash must not change between releases (a clinic would move shard)
    assert [shards.shard_of(c, 4) for c in ("c001", "c002", "c003", "c004")] == \
        [shards.shard_of(c, 4) for c in ("c001", "c002", "c003", "c004")]
    assert shards.shard_of("c001", 1) == 0 and shards.shard_of(None, 5) == 0
    counts = [0] * 4
    for i in range(4000):
        counts[shards.shard_of(f"clinic-{i}", 4)] += 1
    assert min(counts) > 900  # about 1000 each
    with pytest.raises(ValueError):
        shards.shard_of("c", 0)


def _batch(inbox, name, clinic=None, fhir_clinic=None, sessions_clinic=None):
    folder = inbox / name
    folder.mkdir(parents=True)
    if clinic:
        (folder / "manifest.json").write_text(json.dumps({"schema_version": "1", "clinic_id": clinic, "files": []}))
    if fhir_clinic:
        (folder / "manifest.json").write_text(json.dumps({"output": [], "extension": {"clinic_id": fhir_clinic}}))
    if sessions_clinic:
        (folder / "sessions.csv").write_text("session_id,clinic_id\n1,%s\n2,%s\n3,other\n" % (sessions_clinic, sessions_clinic))
    return folder


def test_batch_clinic_as_ingest_finds_it(tmp_path):
    assert shards.batch_clinic(_batch(tmp_path, "a", clinic="c1")) == "c1"
    assert shards.batch_clinic(_batch(tmp_path, "b", fhir_clinic="c2")) == "c2"
    assert shards.batch_clinic(_batch(tmp_path, "c", sessions_clinic="c3")) == "c3"
    assert shards.batch_clinic(_batch(tmp_path, "d")) is None


def test_split_inbox_keeps_clinics_whole(tmp_path):
    inbox, wh = tmp_path / "inbox", tmp_path / "wh.duckdb"
    for c in range(6):
        for m in range(3):
            _batch(inbox, f"c{c}-{m}", clinic=f"c{c}")
    counts = shards.split_inbox(inbox, wh, 3)
    assert sum(counts.values()) == 18
    seen = {}
    for k in range(3):
        folder = shards.shard_paths(wh, k)["inbox"]
        for link in folder.iterdir():
            assert link.is_symlink() and link.resolve() == (inbox / link.name).resolve()
            clinic = link.name.split("-")[0]
            assert seen.setdefault(clinic, k) == k  # a clinic's batches all in one shard
            assert k == shards.shard_of(clinic, 3)
    # again with 2 shards: the links of batches that moved are gone
    shards.split_inbox(inbox, wh, 2)
    for k in range(2):
        for link in shards.shard_paths(wh, k)["inbox"].iterdir():
            assert shards.shard_of(link.name.split("-")[0], 2) == k
    with pytest.raises(Exception, match="does not exist"):
        shards.split_inbox(tmp_path / "nope", wh, 2)


def test_a_shards_connections_have_no_progress_bar(tmp_path):
    from pipeline.aggregates.job import QuietWarehouse

    with QuietWarehouse(database=str(tmp_path / "w.duckdb")).get_connection() as con:
        assert con.execute("select current_setting('enable_progress_bar')").fetchall() == [(False,)]
