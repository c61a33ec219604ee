"""How close to the bare load can an intake that keeps the contract's rules get? (issue 11)

    python benchmarks/fused_intake_floor.py INBOX [--rounds 2] [--work /tmp/fused-intake]

A lower bound, not a pipeline: every CSV and Parquet file of the inbox, grouped by table and
header as the bare load groups them, is read ONCE (every column as text, as receiving must read
it to keep rejected rows as received), cleaned, typed and checked against the contract's rules
in the same pass (its patterns, allowed values, ranges and the registry's ranges from
``pipeline.contract`` and ``pipeline.reference``), into one temporary table per table; the
repeated keys found by one hash aggregate over it; then the valid rows written ONCE, typed, to a
durable table and the rejected ones' received text to another. What it leaves out (each would
only add to its cost): the whole-batch checks (sha256, UTF-8, manifest), the audit records, the
duplicate check against rows staged earlier, the reasons of each rejected row (one flag here),
``raw`` as views over the archived files, the transaction per round. Printed beside the bare
load (``benchmarks/bare_load.py``'s work, in this process) in wall and CPU seconds.
"""
from __future__ import annotations

import argparse
import os
import re
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bare_load import header  # noqa: E402

from pipeline import contract, reference  # noqa: E402

SESSIONS_RULE = """
    c_clinic_id is not null and regexp_full_match(c_clinic_id, $clinic_id_pattern)
    and c_patient_id is not null and not regexp_matches(c_patient_id, $id_email_pattern)
    and not regexp_matches(c_patient_id, $id_ssn_pattern) and not regexp_matches(c_patient_id, $id_phone_pattern)
    and regexp_full_match(c_patient_id, $patient_id_pattern) and c_session_id is not null
    and (c_session_date is not null or c_session_day is not null)
    and (c_session_date is null or (regexp_full_match(c_session_date, $date_pattern) and v_session_date is not null
         and v_session_date <= current_date and v_session_date >= $earliest_date::date))
    and (c_session_day is null or (n_session_day is not null and n_session_day = round(n_session_day)
         and n_session_day between $day_lo and $day_hi and (c_session_date is not null or c_session_year is not null)))
    and (c_session_year is null or (n_session_year = round(n_session_year) and n_session_year between $year_lo and $year_hi
         and (v_session_date is null or n_session_year = year(v_session_date))))
    and c_condition_code is not null and regexp_full_match(c_condition_code, $icd_pattern)
    and n_duration_min is not null and n_duration_min = round(n_duration_min) and n_duration_min between $duration_lo and $duration_hi
    and (c_techniques is null or list_has_all($techniques, v_techniques))
    and (c_age_band is null or list_contains($age_bands, c_age_band)) and (c_sex is null or list_contains($sexes, c_sex))
    and (c_payer is null or list_contains($payers, c_payer)) and max_len <= $max_chars"""
SESSIONS = """
with r as (select {select}, filename as _file from {reader}),
c as (select *, nullif(trim(clinic_id), '') as c_clinic_id, nullif(trim(patient_id), '') as c_patient_id,
        nullif(trim(session_id), '') as c_session_id, nullif(trim(episode_id), '') as c_episode_id,
        nullif(trim(session_date), '') as c_session_date, nullif(trim(session_day), '') as c_session_day,
        nullif(trim(session_year), '') as c_session_year, upper(nullif(trim(condition_code), '')) as c_condition_code,
        nullif(trim(duration_min), '') as c_duration_min, nullif(trim(techniques), '') as c_techniques,
        nullif(trim(therapist_id), '') as c_therapist_id, nullif(trim(cpt_code), '') as c_cpt_code,
        nullif(trim(age_band), '') as c_age_band, upper(nullif(trim(sex), '')) as c_sex, lower(nullif(trim(payer), '')) as c_payer,
        greatest({lengths}) as max_len from r),
t as (select *, try_strptime(c_session_date, '%Y-%m-%d')::date as v_session_date, try_cast(c_session_day as double) as n_session_day,
        try_cast(c_session_year as double) as n_session_year, try_cast(c_duration_min as double) as n_duration_min,
        list_transform(string_split(c_techniques, $list_separator), lambda x: lower(trim(x))) as v_techniques from c),
v as (select *, coalesce(({rule}), false) as _valid from t)
select _file, _valid, c_clinic_id as clinic_id, c_patient_id as patient_id, c_session_id as session_id, c_episode_id as episode_id,
       v_session_date as session_date, n_session_day::integer as session_day,
       coalesce(n_session_year::integer, year(v_session_date)) as session_year, replace(c_condition_code, '.', '') as condition_code,
       n_duration_min::integer as duration_min, v_techniques as techniques, c_therapist_id as therapist_id, c_cpt_code as cpt_code,
       c_age_band as age_band, c_sex as sex, c_payer as payer,
       case when not _valid then to_json(struct_pack({received}))::varchar end as _received
from v"""
MEASUREMENTS = """
with r as (select {select}, filename as _file from {reader}),
c as (select *, nullif(trim(clinic_id), '') as c_clinic_id, nullif(trim(session_id), '') as c_session_id,
        lower(nullif(trim(measure), '')) as c_measure, lower(nullif(trim(timepoint), '')) as c_timepoint,
        try_cast(nullif(trim(value), '') as double) as v_value, greatest({lengths}) as max_len from r),
v as (select c.*, coalesce(c_clinic_id is not null and regexp_full_match(c_clinic_id, $clinic_id_pattern) and c_session_id is not null
        and m.code is not null and list_contains($timepoints, c_timepoint) and v_value is not null and isfinite(v_value)
        and v_value between m.range_min and m.range_max and max_len <= $max_chars, false) as _valid
      from c left join ref.measures as m on m.code = c.c_measure)
select _file, _valid, c_clinic_id as clinic_id, c_session_id as session_id, c_measure as measure, c_timepoint as timepoint,
       v_value as value, case when not _valid then to_json(struct_pack({received}))::varchar end as _received
from v"""
KEYS = {"sessions": "clinic_id, session_id", "measurements": "clinic_id, session_id, measure, timepoint"}


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def groups(inbox: Path) -> dict[tuple, list[str]]:
    found: dict[tuple, list[str]] = defaultdict(list)
    for folder in sorted(p for p in inbox.iterdir() if p.is_dir()):
        for path in sorted(folder.iterdir()):
            if path.suffix in (".csv", ".parquet") and path.stem in KEYS:
                found[(path.stem, path.suffix, header(path))].append(str(path))
    return found


def fresh(db: Path) -> duckdb.DuckDBPyConnection:
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    return duckdb.connect(str(db))


def bare(found: dict, db: Path) -> None:
    con = fresh(db)
    for i, ((table, suffix, _), files) in enumerate(sorted(found.items())):
        reader = "read_csv($files, header = true)" if suffix == ".csv" else "read_parquet($files)"
        con.execute(f"create table {table}_{i} as select * from {reader}", {"files": files})  # constant names
    con.close()


def statement(table: str, suffix: str, columns: tuple[str, ...]) -> tuple[str, dict]:
    wanted = contract.column_names(table)
    select = ", ".join(f'"{c}"::varchar as {c}' if c in columns else f"null::varchar as {c}" for c in wanted)
    received = ", ".join(f'"{c}" := "{c}"' for c in wanted)
    lengths = ", ".join(f"length({c})" for c in wanted)
    reader = ("read_csv($files, header = true, auto_detect = false, columns = $csv_columns, filename = true, strict_mode = true)"
              if suffix == ".csv" else "read_parquet($files, filename = true)")
    text = (SESSIONS if table == "sessions" else MEASUREMENTS).format(
        select=select, received=received, lengths=lengths, reader=reader, rule=SESSIONS_RULE)
    params = {"files": None, **({"csv_columns": {c: "VARCHAR" for c in columns}} if suffix == ".csv" else {})}
    names = set(re.findall(r"\$(\w+)", text))
    return text, params | {k: v for k, v in contract.rule_params().items() if k in names}


def fused(found: dict, db: Path) -> dict[str, float]:
    con = fresh(db)
    con.execute("create schema ref")
    reference.load_reference(con)
    steps, mark = {}, (time.perf_counter(), _cpu())
    made: set[str] = set()
    for (table, suffix, columns), files in sorted(found.items()):
        text, params = statement(table, suffix, columns)
        params["files"] = files
        if table not in made:
            con.execute(f"create temp table checked_{table} as select * from ({text}) limit 0", params)
            made.add(table)
        con.execute(f"insert into checked_{table} by name {text}", params)
    steps["one pass: read, type, check"] = time.perf_counter() - mark[0], _cpu() - mark[1]
    mark = (time.perf_counter(), _cpu())
    for table in made:
        con.execute(f"create temp table repeated_{table} as select hash({KEYS[table]}) as h from checked_{table} "
                    "group by h having count(*) > 1")
    steps["repeated keys"] = time.perf_counter() - mark[0], _cpu() - mark[1]
    mark = (time.perf_counter(), _cpu())
    for table in made:
        con.execute(f"create table {table} as select * exclude (_file, _valid, _received), rowid as _row_number "
                    f"from checked_{table} where _valid")
        con.execute(f"create table rejected_{table} as select _file, rowid as _row_number, _received "
                    f"from checked_{table} where not _valid")
    con.execute("checkpoint")
    steps["written once"] = time.perf_counter() - mark[0], _cpu() - mark[1]
    counts = {t: con.execute(f"select (select count(*) from {t}), (select count(*) from rejected_{t})").fetchone() for t in made}
    con.close()
    print("  rows (valid, rejected): " + ", ".join(f"{t} {v:,} / {r:,}" for t, (v, r) in sorted(counts.items())))
    return steps


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("inbox", type=Path)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--work", type=Path, default=Path("/tmp/fused-intake"))
    args = p.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    found = groups(args.inbox)
    print(f"{sum(len(f) for f in found.values())} files in {len(found)} groups")
    for i in range(1, args.rounds + 1):
        print(f"round {i}, load {os.getloadavg()[0]:.1f}", flush=True)
        wall, cpu = time.perf_counter(), _cpu()
        bare(found, args.work / "bare.duckdb")
        floor = time.perf_counter() - wall, _cpu() - cpu
        print(f"  bare load                    wall {floor[0]:6.2f} s  cpu {floor[1]:6.2f} s", flush=True)
        steps = fused(found, args.work / "fused.duckdb")
        for name, (w, c) in steps.items():
            print(f"  {name:<28} wall {w:6.2f} s  cpu {c:6.2f} s")
        w, c = sum(s[0] for s in steps.values()), sum(s[1] for s in steps.values())
        print(f"  fused intake                 wall {w:6.2f} s  cpu {c:6.2f} s  = {w / floor[0]:.2f}x the bare load in wall "
              f"time, {c / floor[1]:.2f}x in CPU (target of issue 11: 1.5x)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
