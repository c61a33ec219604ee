"""Writing the demo's batches: the planted bad rows (docs/demo.md lists them), the table files
as CSV or Parquet, and the FHIR clinic's Bulk Data export."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from pipeline import contract
from pipeline.demo.assumptions import BAD_DURATION_MIN, BAD_ICD10_CODE, BAD_MEASURE_CODE, SESSION_MEASURE


def _set(table: pa.Table, column: str, row: int, value) -> pa.Table:
    col = table.column(column)
    if value is not None and isinstance(value, str) and col.type != pa.string():
        col = pc.cast(col, pa.string())
    mask = np.zeros(table.num_rows, bool)
    mask[row] = True
    new = pc.if_else(pa.array(mask), pa.scalar(value, col.type), col)
    return table.set_column(table.schema.get_field_index(column), column, new)


def _append(table: pa.Table, row: dict) -> pa.Table:
    extra = pa.table({f.name: pa.array([row[f.name]], f.type) for f in table.schema})
    return pa.concat_tables([table, extra])


def _pick(rng: np.random.Generator, candidates: np.ndarray, n: int) -> list[int]:
    if len(candidates) < n:
        return []
    return sorted(int(i) for i in rng.choice(candidates, size=n, replace=False))


def inject_dates_and_duplicate(sessions: pa.Table, meas: pa.Table, candidates: np.ndarray,
                               rng: np.random.Generator, month: np.datetime64) -> tuple[pa.Table, pa.Table]:
    """Batch A: a malformed date, a duplicated session row, a value outside its range."""
    rows = _pick(rng, candidates, 2)
    if rows:
        y, mth = (int(x) for x in str(month).split("-"))
        last = (np.datetime64(str(month), "M") + 1).astype("datetime64[D]") - np.datetime64(str(month) + "-01")
        bad_day = 30 if mth == 2 else int(last.astype(int)) + 1
        bad_date = f"{y:04d}-{mth:02d}-{bad_day:02d}"
        if "session_date" in sessions.column_names:
            sessions = _set(sessions, "session_date", rows[0], bad_date)
        dup = rows[1]
        sessions = pa.concat_tables([sessions.slice(0, dup + 1), sessions.slice(dup, 1), sessions.slice(dup + 1)])
    pain = np.flatnonzero(np.asarray(pc.equal(meas["measure"], SESSION_MEASURE)))
    vrows = _pick(rng, pain, 1)
    if vrows:
        m = contract.measures()[SESSION_MEASURE]
        bad_value = float(m.range_max + 2)
        meas = _set(meas, "value", vrows[0], bad_value)
    return sessions, meas


def inject_codes_and_orphans(sessions: pa.Table, meas: pa.Table, candidates: np.ndarray,
                             rng: np.random.Generator, clinic_id: str, s_width: int) -> tuple[pa.Table, pa.Table]:
    """Batch B: an invalid ICD-10 code, a 5-minute session, an unknown measure, an orphan."""
    rows = _pick(rng, candidates, 3)
    if rows:
        sessions = _set(sessions, "condition_code", rows[0], BAD_ICD10_CODE)
        sessions = _set(sessions, "duration_min", rows[1], BAD_DURATION_MIN)
        sid = sessions["session_id"][rows[2]].as_py()
        meas = _append(meas, {"clinic_id": clinic_id, "session_id": sid, "measure": BAD_MEASURE_CODE,
                              "timepoint": "pre", "value": 64.0})
        orphan = f"{clinic_id}-s{'9' * s_width}"
        meas = _append(meas, {"clinic_id": clinic_id, "session_id": orphan, "measure": SESSION_MEASURE,
                              "timepoint": "pre", "value": 6.0})
    return sessions, meas


def write_table(table: pa.Table, path: Path, fmt: str, bom: bool) -> None:
    if fmt == "parquet":
        pq.write_table(table, path, compression="snappy")
        return
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=False, quoting_style="none"))
    header = (",".join(table.column_names) + "\n").encode("utf-8")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + header + sink.getvalue().to_pybytes())


def _fhir_extras(sessions: pa.Table) -> dict[str, list[str]]:
    """The FHIR clinic's few resources that are not contract rows (docs/fhir.md): a general check-up
    encounter with a pain score (both out of scope), a pain score entered in error (out of scope) and
    one whose encounter is not in the export (quarantined: a broken reference)."""
    sid = sessions["session_id"][0].as_py()
    pid = sessions["patient_id"][0].as_py()
    day = sessions["session_date"][0].as_py().isoformat()

    def obs(oid: str, status: str, enc: str) -> str:
        return json.dumps({"resourceType": "Observation", "id": oid, "status": status,
                           "code": {"coding": [{"system": "http://loinc.org", "code": "72514-3"}]},
                           "subject": {"reference": f"Patient/{pid}"}, "encounter": {"reference": f"Encounter/{enc}"},
                           "effectiveDateTime": f"{day}T18:00:00+01:00", "valueQuantity": {"value": 5}},
                          separators=(",", ":"))
    return {
        "Encounter": ['{"resourceType":"Encounter","id":"enc-checkup-' + sid + '","status":"finished","subject":'
                      '{"reference":"Patient/' + pid + '"},"period":{"start":"' + day + 'T17:30:00+01:00","end":"'
                      + day + 'T18:30:00+01:00"}}'],
        "Observation": [obs(f"obs-checkup-{sid}", "final", f"enc-checkup-{sid}"),
                        obs(f"obs-error-{sid}", "entered-in-error", f"enc-{sid}"),
                        obs(f"obs-orphan-{sid}", "final", f"enc-not-exported-{sid}")],
    }


def write_fhir(batch_dir: Path, sessions: pa.Table, meas: pa.Table, clinic_id: str, exported_at: str,
               ref_year: int, extras: bool) -> None:
    """One month of the FHIR clinic as its EHR's Bulk Data export (pipeline/fhir/export.py)."""
    from pipeline.fhir.export import write_export

    write_export(batch_dir, sessions, meas, clinic_id, exported_at, ref_year,
                 extra=_fhir_extras(sessions) if extras else None)
