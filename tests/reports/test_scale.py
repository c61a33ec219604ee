"""Reports at network scale (the demo tiled to many clinics): every per-clinic accessor returns
exactly the rows of the naive filter of the network's table, no dashboard names another clinic,
the landing page lists every clinic once in its table, and the evidence packs show the clinics'
distribution instead of one row per clinic."""
from __future__ import annotations

import re
from collections import Counter

import duckdb
import pytest

from pipeline import contract
from pipeline.reports import data, figures, landing
from pipeline.reports.fmt import band_order
from tests.reports.demo import MANY

TOKEN = re.compile(r"[A-Za-z0-9_]+")
ROW = re.compile(r'<tr data-clinic="([^"]+)">')


@pytest.fixture(scope="module")
def report(many):
    con = duckdb.connect(str(many.warehouse), read_only=True)
    try:
        yield data.load(con, "test", contract.Settings())
    finally:
        con.close()


def naive(frame, **where):
    for column, value in where.items():
        frame = frame[frame[column] == value]
    return data.records(frame)


def test_the_many_clinic_run_has_many_clinics(report):
    assert len(report.clinic_ids()) == MANY
    assert len(report.clinic_ids()) > figures.FOREST_MAX_CLINICS


def test_every_per_clinic_accessor_selects_the_naive_filters_rows(report):
    effects = report.effects[report.effects["level"] == "clinic"]
    checked = 0
    for clinic_id in report.clinic_ids():
        mine = effects[effects["clinic_id"] == clinic_id]
        for cond in report.conditions():
            for measure in report.measures_of(cond):
                expected = sorted(naive(mine, condition_group=cond, measure=measure),
                                  key=lambda r: band_order(r["frequency_band"]))
                assert report.cells(cond, measure, clinic_id) == expected, (clinic_id, cond, measure)
                checked += len(expected)
        assert report.completeness_of("clinic", clinic_id) == naive(report.completeness, level="clinic",
                                                                    clinic_id=clinic_id)
        assert report.benchmarks_of(clinic_id) == naive(report.benchmarks, clinic_id=clinic_id)
        assert report.trends_of(clinic_id) == naive(report.trends, clinic_id=clinic_id)
        assert report.batches_of(clinic_id) == naive(report.batches, clinic_id=clinic_id)
        assert report.sessions_of(clinic_id) == report.sessions_by_clinic().get(clinic_id)
    assert checked > MANY * 10  # the comparison is not vacuous
    net = report.effects[report.effects["level"] == "network"]
    for cond in report.conditions():
        for measure in report.measures_of(cond):
            expected = sorted(naive(net, condition_group=cond, measure=measure),
                              key=lambda r: band_order(r["frequency_band"]))
            assert expected and report.cells(cond, measure) == expected
    assert report.completeness_of("network") == naive(report.completeness, level="network")


def test_per_clinic_rows_are_distinct_objects_per_clinic(report):
    """A clinic's rows hold its own id (a copied clinic is not its source's rows)."""
    for clinic_id in report.clinic_ids():
        rows = report.completeness_of("clinic", clinic_id) + report.benchmarks_of(clinic_id) + report.batches_of(clinic_id)
        assert rows and {r["clinic_id"] for r in rows} == {clinic_id}


def test_records_are_the_plain_python_of_every_value(report):
    rows = data.records(report.batches)
    assert all(isinstance(r["rows_raw"], int) and isinstance(r["reasons"], list) for r in rows)
    assert all(r["loaded_at"] is None or isinstance(r["loaded_at"], str) for r in rows)
    cells = data.records(report.effects)
    assert all(c["clinic_id"] is None for c in cells if c["level"] == "network")
    assert all(c["n"] is None or type(c["n"]) is int for c in cells)
    assert all(c["g_z"] is None or type(c["g_z"]) is float for c in cells)


def clinic_ids_in(text: str, ids: set[str]) -> set[str]:
    return set(TOKEN.findall(text)) & ids


@pytest.mark.parametrize("which", ["demo", "many"])
def test_a_dashboard_names_no_other_clinic(which, request):
    run = request.getfixturevalue(which)
    pages = sorted((run.reports / "clinics").glob("*.html"))
    ids = {p.stem for p in pages}
    assert len(ids) == (MANY if which == "many" else 3)
    for page in pages:
        assert clinic_ids_in(page.read_text(encoding="utf-8"), ids) == {page.stem}, page.name


def test_the_landing_page_lists_every_clinic_once_in_its_table(many):
    html = (many.reports / "index.html").read_text(encoding="utf-8")
    listed = Counter(ROW.findall(html))
    dashboards = {p.stem for p in (many.reports / "clinics").glob("*.html")}
    assert set(listed) == dashboards and set(listed.values()) == {1}
    assert all(f'href="clinics/{c}.html"' in html for c in dashboards)
    assert 'id="clinic-search"' in html and 'id="t-clinics"' in html
    assert '<ul class="links">' not in html


def test_a_small_network_has_the_table_without_a_search_field(demo):
    html = (demo.reports / "index.html").read_text(encoding="utf-8")
    assert Counter(ROW.findall(html)) == Counter({"c001": 1, "c002": 1, "c003": 1})
    assert 'id="clinic-search"' not in html and landing.SEARCH_FROM > 3


def test_the_clinic_table_shows_each_clinics_episodes_and_sessions(report):
    links = [{"clinic_id": c, "href": f"clinics/{c}.html"} for c in report.clinic_ids()]
    rows = landing.clinic_rows(report, links)
    assert [r["clinic_id"] for r in rows] == report.clinic_ids()
    for r in rows:
        per_condition = landing.condition_episodes(report, "clinic", r["clinic_id"])
        assert r["episodes"] == landing.total(per_condition.values())
        shown = [v for v in per_condition.values() if v is not None]
        if r["episodes"] is None:
            assert r["episodes_at_least"] == (sum(shown) if shown else None)
            assert r["episodes_at_least"] is None or r["episodes_at_least"] >= report.min_n
        else:
            assert r["episodes_at_least"] is None
        assert r["sessions"] == report.sessions_by_clinic().get(r["clinic_id"])


def test_evidence_packs_of_many_clinics_show_their_distribution(many, demo):
    for path in sorted((many.reports / "evidence").glob("*.html")):
        html = path.read_text(encoding="utf-8")
        if "-forest" in html:
            assert '"type":"histogram"' in html.replace(" ", "") and "too many for one row each" in html, path.name
    small = (demo.reports / "evidence" / "low_back_pain.html").read_text(encoding="utf-8")
    assert "too many for one row each" not in small and "one row per clinic" in small


def test_a_networks_provenance_names_its_batches_without_listing_them(report):
    """Above evidence.MANY_BATCHES the packs' pages count the batches (the JSON lists them)."""
    from pipeline.reports import evidence, pages

    block = evidence.provenance_block(report)
    env, common = pages.environment(), pages.common_context(report)
    listed = evidence.provenance_table(env, block, common)
    assert all(b["batch_id"] in listed for b in block["batches"]) and "too many to list" not in listed
    many = {**block, "batches": [{**b, "batch_id": f"{b['batch_id']}-{i}"} for i in range(3) for b in block["batches"]]
            * (evidence.MANY_BATCHES // len(block["batches"]) + 1)}
    counted = evidence.provenance_table(env, many, common)
    assert "too many to list" in counted and many["batches"][0]["batch_id"] not in counted
    assert 'href="../quality.html"' in counted
