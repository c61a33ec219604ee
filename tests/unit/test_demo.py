"""The demo generator writes contract-conformant, deterministic, realistic export batches.

Every rule checked here is read from ``pipeline.contract`` (patterns, ranges, allowed values,
registry, groups, bands); frequency is measured from the written files as in contract
section 3, with pandas, independently of the generator's own bookkeeping.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipeline import contract
from pipeline.demo import clinic_profile, csv_data_rows, write_demo, write_manifest

SMALL = dict(clinics=3, patients=300)
BATCH_NAME = re.compile(r"^(?P<clinic>.+)-(?P<month>[0-9]{4}-[0-9]{2})$")
INJECTED = {"session_date", "duplicate_session_id", "value_range", "condition_code",
            "duration_min", "unknown_measure", "unknown_session"}


# --- reading the files the way a clinic's recipient would -------------------------------

def read_table(path: Path) -> pd.DataFrame:
    """Every value as text; empty string for a missing value."""
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    table = pq.read_table(path)
    cols = {name: table.column(name).cast("string").to_pandas() for name in table.column_names}
    return pd.DataFrame(cols).astype(object).fillna("")


def table_file(batch: Path, table: str) -> Path:
    found = [batch / f"{table}.{fmt}" for fmt in contract.FILE_FORMATS if (batch / f"{table}.{fmt}").is_file()]
    assert len(found) == 1, f"{batch.name}: expected one {table} file, found {found}"
    return found[0]


def is_fhir(batch: Path) -> bool:
    """A FHIR Bulk Data batch (the demo's one clinic in eight that sends its EHR's export): its resources
    are checked through the reader in tests/fhir and below, not as the two tables."""
    return "output" in json.loads((batch / "manifest.json").read_text(encoding="utf-8"))


def table_batches(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and not is_fhir(p))


def load(root: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    sessions, measurements = [], []
    for batch in table_batches(root):
        for table, out in (("sessions", sessions), ("measurements", measurements)):
            df = read_table(table_file(batch, table))
            df["_batch"] = batch.name
            df["_format"] = table_file(batch, table).suffix[1:]
            out.append(df)
    s = pd.concat(sessions, ignore_index=True).fillna("")
    for col in contract.column_names("sessions"):
        if col not in s:
            s[col] = ""
    return s, pd.concat(measurements, ignore_index=True).fillna("")


def with_episodes(sessions: pd.DataFrame) -> pd.DataFrame:
    """Contract section 3: the clinic's episode_id, else a new episode after a gap > 60 days."""
    s = sessions.copy()
    s["group"] = s["condition_code"].map(contract.condition_group)
    iso = s["session_date"] != ""
    dates = pd.to_datetime(s["session_date"].where(iso), errors="coerce", format="%Y-%m-%d")
    s["t"] = np.where(iso, (dates - pd.Timestamp("1970-01-01")).dt.days,
                      pd.to_numeric(s["session_day"], errors="coerce"))
    s = s.dropna(subset=["t"]).sort_values(["clinic_id", "patient_id", "group", "t"], kind="stable")
    key = s["clinic_id"] + "|" + s["patient_id"] + "|" + s["group"]
    new = (key != key.shift()) | ((s["t"] - s["t"].shift()) > contract.EPISODE_GAP_DAYS)
    derived = "derived-" + new.cumsum().astype(str)
    s["episode"] = np.where(s["episode_id"] != "", s["clinic_id"] + "|" + s["episode_id"], derived)
    return s


def measured_bands(s: pd.DataFrame) -> pd.DataFrame:
    """sessions_per_week = (sessions - 1) / (span_days / 7); all on one day = single_session."""
    e = s.groupby("episode").agg(n=("t", "size"), first=("t", "min"), last=("t", "max"),
                                 group=("group", "first"))
    span = e["last"] - e["first"]
    spw = ((e["n"] - 1) / (span / 7)).where((e["n"] > 1) & (span > 0))
    e["band"] = [contract.frequency_band(None if pd.isna(x) else float(x)) for x in spw]
    return e


def outcomes(s: pd.DataFrame, m: pd.DataFrame, bands: pd.DataFrame) -> pd.DataFrame:
    """Baseline = first pre, final = last post after it (contract section 3)."""
    registry = contract.measures()
    x = m[m["measure"].isin(list(registry))]  # the planted bad rows are left out, as the gate would
    x = x.merge(s.drop_duplicates(["clinic_id", "session_id"])[["clinic_id", "session_id", "episode", "t"]],
                on=["clinic_id", "session_id"])
    x["v"] = pd.to_numeric(x["value"])
    x = x[x["v"].between(x["measure"].map(lambda c: registry[c].range_min),
                         x["measure"].map(lambda c: registry[c].range_max))]
    x["post"] = (x["timepoint"] == "post").astype(int)
    x = x.sort_values(["episode", "measure", "t", "post"], kind="stable")
    base = x[x["post"] == 0].groupby(["episode", "measure"]).first()[["v"]].rename(columns={"v": "baseline"})
    final = x[x["post"] == 1].groupby(["episode", "measure"]).last()[["v"]].rename(columns={"v": "final"})
    o = base.join(final).reset_index().merge(bands[["band", "group"]], left_on="episode", right_index=True)
    lower = o["measure"].map(lambda c: contract.measures()[c].better == "lower")
    o["improvement"] = np.where(lower, o["baseline"] - o["final"], o["final"] - o["baseline"])
    return o


# --- the contract rules, as a list of violations ----------------------------------------

def headers(path: Path) -> list[str]:
    if path.suffix == ".csv":
        return path.read_bytes().decode("utf-8-sig").splitlines()[0].split(",")
    return pq.read_schema(path).names


def violations(root: Path, loaded: tuple[pd.DataFrame, pd.DataFrame] | None = None) -> list[tuple[str, str, str]]:
    """(batch, rule, value) for every header or value that breaks a contract rule."""
    out: list[tuple[str, str, str]] = []
    registry = contract.measures()
    for batch in table_batches(root):
        for table in contract.TABLES:
            header = headers(table_file(batch, table))
            if any(contract.identifying_header(h) for h in header):
                out.append((batch.name, "identifying_header", str(header)))
            if not set(header) <= set(contract.column_names(table)):
                out.append((batch.name, "unknown_column", str(set(header) - set(contract.column_names(table)))))
            if not set(contract.required_columns(table)) <= set(header):
                out.append((batch.name, "missing_column", table))
            if table == "sessions" and ("session_date" in header) == ("session_day" in header):
                out.append((batch.name, "date_style", str(header)))
    s, m = loaded if loaded is not None else load(root)
    manifest_clinic = {p.name: json.loads((p / "manifest.json").read_text())["clinic_id"]
                       for p in table_batches(root)}

    def flag(df: pd.DataFrame, bad: pd.Series, rule: str, column: str) -> None:
        out.extend((b, rule, str(v)) for b, v in zip(df.loc[bad, "_batch"], df.loc[bad, column]))

    for table, df in (("sessions", s), ("measurements", m)):
        flag(df, df["clinic_id"] != df["_batch"].map(manifest_clinic), "clinic_id_manifest", "clinic_id")
        for col in contract.COLUMNS[table]:
            if col.name not in df:
                continue
            values = df[col.name].astype(str)
            filled = values != ""
            if col.required:
                flag(df, ~filled, f"required_{col.name}", col.name)
            flag(df, values.str.len() > contract.MAX_FIELD_CHARS, "too_long", col.name)
            if col.pattern:
                flag(df, filled & ~values.str.fullmatch(col.pattern), col.name, col.name)
            if col.allowed:
                parts = values.str.split(";") if col.name == "techniques" else values.map(lambda v: [v])
                flag(df, filled & parts.map(lambda p: not set(p) <= set(col.allowed)), col.name, col.name)
    for pattern in contract.IDENTIFYING_ID_PATTERNS.values():
        flag(s, s["patient_id"].str.contains(pattern), "identifying_patient_id", "patient_id")
    iso = s["session_date"] != ""
    dates = pd.to_datetime(s["session_date"].where(iso), errors="coerce", format="%Y-%m-%d")
    flag(s, iso & ~(dates >= pd.Timestamp(contract.EARLIEST_SESSION_DATE)), "session_date", "session_date")
    sh = s["session_day"] != ""
    day = pd.to_numeric(s["session_day"].where(s["session_day"].str.fullmatch(contract.INTEGER_PATTERN)))
    year = pd.to_numeric(s["session_year"].where(s["session_year"].str.fullmatch(contract.INTEGER_PATTERN)))
    flag(s, sh & ~(day.between(*contract.SESSION_DAY_RANGE) & year.between(*contract.SESSION_YEAR_RANGE)),
         "session_day", "session_day")
    flag(s, ~iso & ~sh, "no_date", "session_id")
    duration = pd.to_numeric(s["duration_min"].where(s["duration_min"].str.fullmatch(contract.INTEGER_PATTERN)))
    flag(s, ~duration.between(*contract.DURATION_RANGE), "duration_min", "duration_min")
    # batches of one clinic arrive in month order: session ids are unique across them
    s = s.assign(_month=s["_batch"].str[-7:]).sort_values(["clinic_id", "_month"], kind="stable")
    flag(s, s.duplicated(["clinic_id", "session_id"]), "duplicate_session_id", "session_id")
    first = s.drop_duplicates(["clinic_id", "session_id"]).set_index(["clinic_id", "session_id"])["_month"]
    seen = pd.Series(list(zip(m["clinic_id"], m["session_id"])), index=m.index).map(first)
    flag(m, ~(seen <= m["_batch"].str[-7:]), "unknown_session", "session_id")
    known = m["measure"].isin(list(registry))
    flag(m, ~known, "unknown_measure", "measure")
    value = pd.to_numeric(m["value"], errors="coerce")
    low = m["measure"].map(lambda c: registry[c].range_min if c in registry else np.nan)
    high = m["measure"].map(lambda c: registry[c].range_max if c in registry else np.nan)
    flag(m, known & ~value.between(low, high), "value_range", "value")
    return out


# --- fixtures ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("small")
    write_demo(root, **SMALL)
    return root


@pytest.fixture(scope="module")
def small_clean(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("small_clean")
    write_demo(root, **SMALL, bad_rows=False)
    return root


@pytest.fixture(scope="module")
def default(tmp_path_factory) -> tuple[Path, list[Path]]:
    root = tmp_path_factory.mktemp("default")
    return root, write_demo(root)


@pytest.fixture(scope="module")
def default_loaded(default):
    return load(default[0])


@pytest.fixture(scope="module")
def default_data(default_loaded):
    s, m = default_loaded
    s = with_episodes(s)
    return s, m, measured_bands(s)


def file_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --- determinism and manifests -------------------------------------------------------------

def test_same_seed_writes_identical_bytes(small, tmp_path):
    write_demo(tmp_path, **SMALL)
    assert file_bytes(tmp_path) == file_bytes(small)


def test_different_seed_writes_different_data(small, tmp_path):
    write_demo(tmp_path, **SMALL, seed=8)
    a, b = file_bytes(small), file_bytes(tmp_path)
    data = [k for k in a if not k.endswith("manifest.json")]
    assert all(a[k] != b.get(k) for k in data if "sessions" in k)


def test_manifests_match_files(small):
    batches = sorted(p for p in small.iterdir() if p.is_dir())
    for batch in batches:
        manifest = json.loads((batch / "manifest.json").read_text(encoding="utf-8"))
        assert set(manifest) == {"schema_version", "export_id", "clinic_id", "exported_at", "files"}
        assert manifest["schema_version"] in contract.SCHEMA_VERSIONS
        assert manifest["export_id"] == batch.name
        assert BATCH_NAME.match(batch.name)["clinic"] == manifest["clinic_id"]
        month = BATCH_NAME.match(batch.name)["month"]
        exported = dt.datetime.strptime(manifest["exported_at"], "%Y-%m-%dT%H:%M:%SZ")
        assert exported.strftime("%Y-%m") > month  # exported after the month it covers
        names = sorted(f["name"] for f in manifest["files"])
        assert names == sorted(p.name for p in batch.iterdir() if p.name != "manifest.json")
        for f in manifest["files"]:
            path = batch / f["name"]
            assert f["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
            assert f["rows"] == len(read_table(path))


def test_write_manifest_counts_hand_made_batches(tmp_path):
    batch = tmp_path / "c099-2026-03"
    batch.mkdir()
    (batch / "sessions.csv").write_bytes(
        b"\xef\xbb\xbfclinic_id,patient_id,session_id,session_date,condition_code,duration_min,techniques\n"
        b'c099,c099-p1,s1,2026-03-02,M54.2,60,"effleurage;\nstretching"\n'
        b"\n"
        b"c099,c099-p1,s2,2026-03-09,M54.2,60,")
    pd.DataFrame({"clinic_id": ["c099"] * 3, "session_id": ["s1", "s1", "s2"], "measure": ["pain_nrs"] * 3,
                  "timepoint": ["pre", "post", "pre"], "value": [6.0, 4.0, 5.0]}).to_parquet(batch / "measurements.parquet")
    manifest = write_manifest(batch, "c099-2026-03", "c099", "2026-04-01T00:00:00Z")
    assert json.loads((batch / "manifest.json").read_text()) == manifest
    assert [(f["name"], f["rows"]) for f in manifest["files"]] == [("sessions.csv", 2), ("measurements.parquet", 3)]
    assert manifest["files"][0]["sha256"] == hashlib.sha256((batch / "sessions.csv").read_bytes()).hexdigest()
    assert csv_data_rows(b"a,b\n1,2\n3,4\n") == 2
    assert csv_data_rows(b"a,b\r\n1,2\r\n3,4") == 2
    assert csv_data_rows(b"") == 0


def test_progress_is_called_once_per_batch(tmp_path):
    lines: list[str] = []
    written = write_demo(tmp_path, clinics=2, patients=40, months=2, progress=lines.append)
    assert len(lines) == len(written) == len([p for p in tmp_path.iterdir() if p.is_dir()])
    assert all(line.startswith(batch.name) for line, batch in zip(lines, written))


@pytest.mark.parametrize("kwargs", [dict(clinics=0), dict(patients=2, clinics=3), dict(months=0),
                                    dict(start="2026-13-01"), dict(clinics=True)])
def test_invalid_arguments_are_refused(tmp_path, kwargs):
    with pytest.raises(ValueError):
        write_demo(tmp_path, **kwargs)


# --- the contract ------------------------------------------------------------------------

def test_every_column_and_value_follows_the_contract(small_clean):
    assert violations(small_clean) == []


def test_bad_rows_are_the_documented_few(small):
    found = violations(small)
    rules = [rule for _, rule, _ in found]
    assert sorted(rules) == sorted(INJECTED), found
    assert len({batch for batch, _, _ in found}) == 2  # spread over a couple of batches


def test_bad_rows_are_a_handful_per_ten_thousand_at_default_size(default, default_loaded):
    s, m = default_loaded
    found = violations(default[0], default_loaded)
    assert sorted(rule for _, rule, _ in found) == sorted(INJECTED)
    assert len(found) / (len(s) + len(m)) < 5 / 10_000


def test_ids_are_pseudonymous(small_clean):
    s, m = load(small_clean)
    clinic = s["clinic_id"]
    assert s["patient_id"].str.fullmatch(r"c[0-9]{3}-p[0-9]{6}").all()
    assert s["session_id"].str.fullmatch(r"c[0-9]{3}-s[0-9]{7}").all()
    assert (s["patient_id"].str.split("-").str[0] == clinic).all()
    assert (s["session_id"].str.split("-").str[0] == clinic).all()
    given = s["episode_id"] != ""
    assert s.loc[given, "episode_id"].str.fullmatch(r"c[0-9]{3}-e[0-9]{6}").all()
    assert s.loc[s["therapist_id"] != "", "therapist_id"].str.fullmatch(r"c[0-9]{3}-t[0-9]{2}").all()


def test_measures_are_scored_as_the_instruments_are(small_clean):
    s, m = load(small_clean)
    v = pd.to_numeric(m["value"])
    for code, values in v.groupby(m["measure"]):
        decimals = 1 if code in ("psfs", "promis_pi") else 0
        assert np.allclose(values, np.round(values, decimals)), code
    # pain is scored before and after every session
    pain = m[m["measure"] == "pain_nrs"].groupby("session_id")["timepoint"].apply(sorted)
    assert set(pain.index) == set(s["session_id"])
    assert (pain.map(tuple) == ("post", "pre")).all()


def test_safe_harbor_days_count_from_each_patients_first_session(small_clean):
    s, _ = load(small_clean)
    sh = s[s["session_day"] != ""]
    assert not sh.empty
    assert (sh.groupby(["clinic_id", "patient_id"])["session_day"].apply(lambda d: d.astype(int).min()) == 0).all()
    month_year = sh["_batch"].str.extract(BATCH_NAME)["month"].str[:4]
    assert (sh["session_year"] == month_year).all()


# --- coverage and realism at the default size ------------------------------------------------

def test_default_demo_covers_the_contract(default, default_data):
    root, written = default
    s, m, _ = default_data
    assert len({BATCH_NAME.match(p.name)["clinic"] for p in written}) >= 8
    # 3000 patients in all; the FHIR clinic's (c007, about one in eight) are not in these two tables
    assert s.groupby(["clinic_id", "patient_id"]).ngroups >= 2500
    assert {BATCH_NAME.match(p.name)["clinic"] for p in written if is_fhir(p)} == {"c007"}
    assert set(s["condition_code"].map(contract.condition_group)) == set(contract.CONDITION_GROUPS)
    assert set(contract.measures()) <= set(m["measure"])
    assert (s["session_date"] != "").any() and (s["session_day"] != "").any()
    assert set(s["_format"]) == set(m["_format"]) == set(contract.FILE_FORMATS)
    mixed = [p for p in written if {f.suffix for f in p.iterdir() if f.stem in contract.TABLES} == {".csv", ".parquet"}]
    assert mixed
    assert (s["episode_id"] != "").any() and (s["episode_id"] == "").any()
    assert s["condition_code"].str.contains(".", regex=False).any()
    assert (~s["condition_code"].str.contains(".", regex=False)).any()
    for col in ("techniques", "therapist_id", "cpt_code", "age_band", "sex", "payer"):
        filled = (s[col] != "").mean()
        assert 0.8 < filled < 1.0, col  # filled realistically, some left empty
    assert set(s["cpt_code"]) - {""} <= {"97124", "97140"}


def test_clinic_profiles_vary(default):
    profiles = [clinic_profile(i, 8) for i in range(8)]
    assert {p.date_style for p in profiles} == {"iso", "safe_harbor"}
    assert {p.episode_ids for p in profiles} == {"given", "empty", "absent"}
    assert any(p.sessions_format != p.measurements_format for p in profiles)


def test_intended_frequency_bands_arise_when_measured(default_data):
    _, _, episodes = default_data
    share = episodes["band"].value_counts(normalize=True)
    for band in contract.BAND_ORDER:
        assert share.get(band, 0) > 0.08, share
    cells = pd.crosstab(episodes["group"], episodes["band"])
    assert (cells.reindex(columns=list(contract.BAND_ORDER)).fillna(0) >= 5).all().all(), cells


def test_episodes_span_batches_and_recur_after_long_gaps(default_data):
    s, _, _ = default_data
    per_episode = s.groupby("episode")["_batch"].nunique()
    assert (per_episode >= 2).sum() > 100
    derived = s[s["episode"].str.startswith("derived-")]
    assert (derived.groupby("episode")["_batch"].nunique() >= 2).any()
    # patients whose care restarts after more than 60 days: two episodes of one condition
    episodes_per_course = s.groupby(["clinic_id", "patient_id", "group"])["episode"].nunique()
    assert (episodes_per_course >= 2).sum() > 50
    assert (derived.groupby(["clinic_id", "patient_id", "group"])["episode"].nunique() >= 2).any()


def test_effects_are_realistic_and_grow_with_frequency(default_data):
    s, m, episodes = default_data
    o = outcomes(s, m, episodes)
    complete = o["final"].notna().groupby(o["measure"]).mean()
    assert complete["pain_nrs"] == 1.0
    assert (complete.drop("pain_nrs") < 0.95).all() and (complete > 0.6).all()
    o = o.dropna()
    pain = o[o["measure"] == "pain_nrs"].groupby("band")["improvement"].mean()
    assert list(pain.reindex(list(contract.BAND_ORDER))) == sorted(pain, reverse=True), pain
    assert 1.0 < pain["weekly"] < 2.5
    r = o.groupby("measure").apply(lambda x: np.corrcoef(x["baseline"], x["final"])[0, 1])
    assert ((r > 0.35) & (r < 0.65)).all(), r
    rmdq = o[(o["measure"] == "rmdq") & (o["band"] == "weekly")]
    assert 2.5 < rmdq["improvement"].mean() < 6.0  # Cherkin 2011: about 5 points from ~11
    baseline = o.groupby("measure")["baseline"].mean()
    assert 5 <= baseline["pain_nrs"] <= 7 and 10 <= baseline["rmdq"] <= 12 and 15 <= baseline["ndi"] <= 20


def test_session_lengths_cover_every_duration_band(default_data):
    bands = getattr(contract, "DURATION_BANDS", None)
    if not bands:
        pytest.skip("the contract defines no duration bands")
    s, _, _ = default_data
    mean_minutes = pd.to_numeric(s["duration_min"], errors="coerce").groupby(s["episode"]).mean()
    for name, low, high in bands:
        inside = mean_minutes.between(-np.inf if low is None else low, np.inf if high is None else high,
                                      inclusive="left")
        assert inside.sum() >= 50, name


# --- the FHIR clinic ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fhir_demo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("fhir_demo")
    write_demo(root, clinics=8, patients=400, months=2)
    return root


def test_one_clinic_in_eight_sends_fhir_bulk_exports_deterministically(fhir_demo, tmp_path):
    fhir = [p for p in sorted(fhir_demo.iterdir()) if is_fhir(p)]
    assert [p.name for p in fhir] == ["c007-2026-01", "c007-2026-02"]
    assert [p for p in fhir_demo.iterdir() if not is_fhir(p) and p.name.startswith("c007")] == []
    for batch in fhir:
        manifest = json.loads((batch / "manifest.json").read_text())
        assert set(manifest) >= {"transactionTime", "request", "output"}
        assert manifest["extension"]["clinic_id"] == "c007"
        for out in manifest["output"]:
            lines = (batch / out["url"]).read_text(encoding="utf-8").splitlines()
            assert out["count"] == len(lines) and all(json.loads(x)["resourceType"] == out["type"] for x in lines)
    write_demo(tmp_path, clinics=8, patients=400, months=2)
    assert file_bytes(tmp_path) == file_bytes(fhir_demo)


def test_the_fhir_clinic_reads_back_as_its_sessions(fhir_demo, tmp_path, monkeypatch):
    from pipeline.validate import validate_batch

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))  # validate keeps no key: a throw-away one
    monkeypatch.delenv("OUTCOMES_NETWORK_KEY", raising=False)
    for batch in sorted(p for p in fhir_demo.iterdir() if is_fhir(p)):
        encounters = (batch / "Encounter.ndjson").read_text().count("enc-checkup-")
        report = validate_batch(batch)
        assert report.accepted, report.reasons
        lines = len((batch / "Encounter.ndjson").read_text().splitlines())
        assert report.rows["sessions"] == lines - encounters > 0
        assert report.quarantined_rows == {"sessions": 0, "measurements": 0}
        quarantined = [n for _, outcome, _, n in report.fhir if outcome == "quarantined"]
        assert sum(quarantined) == (1 if batch.name.endswith("02") else 0)  # the planted broken reference
    assert not (tmp_path / "massage-outcomes").exists()
