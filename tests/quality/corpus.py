"""The hostile-batch corpus: one case per rule of the gate, and some combinations.

Each case changes a valid batch (``batches.new_batch``) and states the exact outcome:

- ``reasons``: the batch is rejected whole, with exactly these reasons (one substring each,
  each matching exactly one reason, and no other reason);
- ``quarantined``: the batch is accepted and exactly these rows are quarantined, with exactly
  these reason codes: {(table, data row number): {codes}}; every other row is staged;
- ``secrets``: values that must never be printed (they would identify someone).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from pipeline import contract

from tests.quality.batches import Batch, csv_bytes

S, M = "sessions", "measurements"
EMAIL, PHONE, SSN = "jane.roe@example.com", "555-987-2186", "999-84-8775"


@dataclass(frozen=True)
class Case:
    name: str
    change: Callable[[Batch], None]
    reasons: tuple[str, ...] = ()
    quarantined: dict = field(default_factory=dict)
    secrets: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    safe_harbor: bool = False

    @property
    def rejected(self) -> bool:
        return bool(self.reasons)


def _set(table: str, row: int, **values):
    """Set cells of data row ``row`` (1-based) of a table."""
    def change(b: Batch):
        rows = b.sessions if table == S else b.measurements
        rows[row - 1].update(values)
    return change


def _all(*changes):
    def change(b: Batch):
        for c in changes:
            c(b)
    return change


def _rename(table: str, old: str, new: str):
    def change(b: Batch):
        header = b.session_header if table == S else b.measurement_header
        header[header.index(old)] = new
        rows = b.sessions if table == S else b.measurements
        for r in rows:
            r[new] = r.pop(old)
    return change


def _drop(table: str, *columns: str):
    def change(b: Batch):
        header = b.session_header if table == S else b.measurement_header
        for c in columns:
            header.remove(c)
    return change


def _add(table: str, column: str, values):
    def change(b: Batch):
        header = b.session_header if table == S else b.measurement_header
        header.append(column)
        rows = b.sessions if table == S else b.measurements
        for i, r in enumerate(rows):
            r[column] = values(i) if callable(values) else values
    return change


def _bytes(table: str, data: bytes):
    def change(b: Batch):
        b.raw_bytes[table] = data
    return change


def _manifest(edit):
    def change(b: Batch):
        b.manifest_edit = edit
    return change


def _late(name: str, data_of: Callable[[Batch], bytes]):
    """Rewrite a file after its manifest was written (a file altered or truncated in transit)."""
    def change(b: Batch):
        b.late_bytes[name] = data_of(b)
    return change


def _session_csv(b: Batch) -> bytes:
    return csv_bytes(b.session_header, b.sessions)


def _truncated(b: Batch) -> bytes:
    return csv_bytes(b.session_header, b.sessions[:-1])


def _no_manifest(b: Batch):
    b.manifest = False


def _ragged(b: Batch):
    data = csv_bytes(b.session_header, b.sessions).decode().splitlines()
    data[2] += ",Jane Roe"  # a shifted row: one field too many, carrying a name
    b.raw_bytes[S] = ("\n".join(data) + "\n").encode()


def _unterminated(b: Batch):
    data = csv_bytes(b.session_header, b.sessions).decode().splitlines()
    data[3] = data[3].replace("T-01", '"T-01')
    b.raw_bytes[S] = ("\n".join(data) + "\n").encode()


def _latin1(b: Batch):
    b.sessions[1]["therapist_id"] = "T-Ã©"
    b.raw_bytes[S] = csv_bytes(b.session_header, b.sessions).decode().replace("T-Ã©", "T-é").encode("latin-1")


def _utf16(b: Batch):
    b.raw_bytes[S] = csv_bytes(b.session_header, b.sessions).decode().encode("utf-16")


def _headerless(b: Batch):
    b.raw_bytes[S] = csv_bytes(b.session_header, b.sessions).split(b"\n", 1)[1]


def _semicolons(b: Batch):
    b.raw_bytes[S] = csv_bytes(b.session_header, b.sessions).replace(b",", b";")


def _duplicate_column(b: Batch):
    b.session_header.append("duration_min")


def _both_formats(b: Batch):
    b.late_bytes["sessions.parquet"] = b"PAR1 not really parquet PAR1"


def _parquet(b: Batch):
    b.formats = {S: "parquet", M: "parquet"}


def _fhir_flat(b: Batch):
    """What a FHIR Patient resource flattens to when a practice system exports it as columns."""
    for column, value in (("name.given", "Odelia236"), ("name.family", "Marvin195"), ("telecom.value", PHONE),
                          ("address.line", "123 Main St"), ("address.postalCode", "02118"),
                          ("birthDate", "1954-08-25"), ("identifier.SS", SSN)):
        _add(S, column, value)(b)


REJECTED = [
    Case("missing-sessions-file", lambda b: b.formats.pop(S), ("the batch has no sessions file",)),
    Case("missing-measurements-file", lambda b: b.formats.pop(M), ("the batch has no measurements file",)),
    Case("missing-required-column", _drop(S, "duration_min"), ("missing the required column 'duration_min'",)),
    Case("misnamed-required-column", _rename(S, "patient_id", "Patient ID"),
         ("missing the required column 'patient_id' (it has 'Patient ID'; name it exactly 'patient_id')",)),
    Case("missing-measure-column", _drop(M, "measure"), ("measurements.csv is missing the required column 'measure'",)),
    Case("identifying-name", _add(S, "patient_name", "Jane Roe"), ("column 'patient_name' that looks like a direct identifier",),
         secrets=("Jane Roe",)),
    Case("identifying-email", _add(S, "E-Mail", EMAIL), ("column 'E-Mail' that looks like a direct identifier",), secrets=(EMAIL,)),
    Case("identifying-phone", _add(S, "Phone Number", PHONE), ("'Phone Number' that looks like a direct identifier",),
         secrets=(PHONE,)),
    Case("identifying-address", _add(S, "street_address", "1 Elm St"), ("'street_address' that looks like a direct identifier",),
         secrets=("1 Elm St",)),
    Case("identifying-zip5", _add(S, "ZIP", "02118"), ("'ZIP' that looks like a direct identifier",)),
    Case("identifying-dob", _add(S, "Date of Birth", "1954-08-25"), ("'Date of Birth' that looks like a direct identifier",),
         secrets=("1954-08-25",)),
    Case("identifying-ssn", _add(S, "SSN", SSN), ("'SSN' that looks like a direct identifier",), secrets=(SSN,)),
    Case("identifying-mrn", _add(M, "Medical_Record_Number", "MR-88231"),
         ("measurements.csv has a column 'Medical_Record_Number' that looks like a direct identifier",), secrets=("MR-88231",)),
    Case("identifying-spellings", _all(_add(S, "First-Name", "Jane"), _add(S, "e_mail", EMAIL), _add(S, "DOB", "1954-08-25"),
                                       _add(S, "Social Security No", SSN), _add(S, "mrn", "88231"), _add(S, "Zip_Code", "02118")),
         ("'First-Name' that looks", "'e_mail' that looks", "'DOB' that looks", "'Social Security No' that looks",
          "'mrn' that looks", "'Zip_Code' that looks"), secrets=(EMAIL, SSN)),
    Case("fhir-flattened-patient", _fhir_flat,
         ("'name.given' that looks", "'name.family' that looks", "'telecom.value' that looks", "'address.line' that looks",
          "'address.postalCode' that looks", "'birthDate' that looks", "'identifier.SS' that looks"),
         secrets=("Odelia236", "Marvin195", PHONE, SSN, "123 Main St")),
    Case("manifest-row-count", _manifest(lambda m: m["files"][0].update(rows=m["files"][0]["rows"] + 1)),
         ("sessions.csv has 6 rows but manifest.json says 7",)),
    Case("manifest-checksum", _late("sessions.csv", lambda b: _session_csv(b).replace(b"T-01", b"T-02")),
         ("sessions.csv does not match the sha256 in manifest.json",)),
    Case("truncated-file", _late("sessions.csv", _truncated),
         ("sessions.csv does not match the sha256", "sessions.csv has 5 rows but manifest.json says 6")),
    Case("not-utf8", _latin1, ("sessions.csv is not UTF-8 text (invalid byte at offset",)),
    Case("utf16", _utf16, ("sessions.csv is UTF-16 text; save it as UTF-8",)),
    Case("empty-file", _bytes(S, b""), ("sessions.csv is empty",)),
    Case("binary-file", _bytes(S, bytes(range(256)) * 4), ("sessions.csv is binary, not CSV text",)),
    Case("ragged-row", _ragged, ("sessions.csv cannot be parsed as CSV: line 3 of the file has 16 fields but the header has 15",),
         secrets=("Jane Roe",)),
    Case("unterminated-quote", _unterminated, ("sessions.csv cannot be parsed as CSV: line 4 of the file opens a quote",)),
    Case("not-parquet", _all(_parquet, _no_manifest, _bytes(S, b"clinic_id,patient_id\nc1,P-0001\n")),
         ("sessions.parquet could not be read as Parquet",)),
    Case("semicolon-separated", _semicolons, ("sessions.csv is not comma-separated (its header is split by ';'",)),
    Case("no-header-row", _headerless, ("sessions.csv has no header row with the contract's columns",)),
    Case("no-date-columns", _drop(S, "session_date", "session_day", "session_year"),
         ("has neither 'session_date' nor 'session_day'",)),
    Case("day-without-year-column", _drop(S, "session_date", "session_year"),
         ("has 'session_day' without 'session_year'",), safe_harbor=True),
    Case("unknown-schema-version", _manifest(lambda m: m.update(schema_version="2")),
         ("manifest.json has schema_version '2', but this pipeline reads only '1'",)),
    Case("no-schema-version", _manifest(lambda m: m.pop("schema_version")), ("manifest.json has no schema_version",)),
    Case("manifest-not-json", _late("manifest.json", lambda b: b"{\"schema_version\": \"1\", "),
         ("manifest.json is not valid JSON",)),
    Case("manifest-lists-missing-file", _manifest(lambda m: m["files"].append({"name": "extra.csv", "rows": 1})),
         ("manifest.json lists extra.csv, which is not in the batch",)),
    Case("file-not-in-manifest", _manifest(lambda m: m["files"].pop(0)), ("sessions.csv is not listed in manifest.json",)),
    Case("manifest-rows-not-a-number", _manifest(lambda m: m["files"][0].update(rows="twelve")),
         ("manifest.json gives sessions.csv a row count that is not a whole number",)),
    Case("both-csv-and-parquet", _both_formats, ("the batch has both sessions.csv and sessions.parquet",)),
    Case("duplicate-column", _duplicate_column, ("sessions.csv has the column 'duration_min' more than once",)),
    Case("rows-of-another-clinic", _set(M, 3, clinic_id="c999"), ("1 rows belong to another clinic than the manifest's",)),
    Case("combination-identifier-count-version", _all(_add(S, "email", EMAIL), _manifest(
        lambda m: (m.update(schema_version="0.9"), m["files"][1].update(rows=99)))),
         ("'email' that looks like a direct identifier", "manifest.json has schema_version '0.9'",
          "measurements.csv has 12 rows but manifest.json says 99"), secrets=(EMAIL,)),
]

QUARANTINED = [
    Case("duration-out-of-range", _all(_set(S, 2, duration_min="5"), _set(S, 3, duration_min="181")),
         quarantined={(S, 2): {"duration_out_of_range"}, (S, 3): {"duration_out_of_range"},
                      (M, 3): {"session_quarantined"}, (M, 4): {"session_quarantined"},
                      (M, 5): {"session_quarantined"}, (M, 6): {"session_quarantined"}}),
    Case("duration-not-integer", _all(_set(S, 1, duration_min="45.5"), _set(S, 2, duration_min="forty"),
                                      _set(S, 3, duration_min="NaN"), _set(S, 4, duration_min=""), _set(S, 5, duration_min="60.0")),
         quarantined={(S, 1): {"duration_not_integer"}, (S, 2): {"duration_not_integer"}, (S, 3): {"duration_not_integer"},
                      (S, 4): {"duration_missing"}, **{(M, r): {"session_quarantined"} for r in range(1, 9)}}),
    Case("not-in-allowed-sets", _all(_set(S, 1, age_band="85-95"), _set(S, 2, sex="female"), _set(S, 3, payer="medicare"),
                                     _set(S, 4, techniques="effleurage;reiki")),
         quarantined={(S, 1): {"age_band_invalid"}, (S, 2): {"sex_invalid"}, (S, 3): {"payer_invalid"},
                      (S, 4): {"techniques_invalid"}, **{(M, r): {"session_quarantined"} for r in range(1, 9)}}),
    Case("dates-malformed-impossible-future-early", _all(
        _set(S, 1, session_date="05/01/2026"), _set(S, 2, session_date="2026-02-30"),
        _set(S, 3, session_date="2999-01-01"), _set(S, 4, session_date="1989-12-31"), _set(S, 5, session_date="2026-1-5")),
         quarantined={(S, 1): {"session_date_malformed"}, (S, 2): {"session_date_impossible"}, (S, 3): {"session_date_future"},
                      (S, 4): {"session_date_too_early"}, (S, 5): {"session_date_malformed"},
                      **{(M, r): {"session_quarantined"} for r in range(1, 11)}}),
    Case("no-date-in-row", _set(S, 6, session_date=""),
         quarantined={(S, 6): {"session_date_missing"}, (M, 11): {"session_quarantined"}, (M, 12): {"session_quarantined"}}),
    Case("safe-harbor-day-and-year", _all(_set(S, 1, session_day="-1"), _set(S, 2, session_day="3.5"),
                                          _set(S, 3, session_year=""), _set(S, 4, session_year="2099"),
                                          _set(S, 5, session_year="twenty")),
         quarantined={(S, 1): {"session_day_invalid"}, (S, 2): {"session_day_invalid"}, (S, 3): {"session_year_missing"},
                      (S, 4): {"session_date_future"}, (S, 5): {"session_year_invalid"},
                      **{(M, r): {"session_quarantined"} for r in range(1, 11)}}, safe_harbor=True),
    Case("year-not-the-dates-year", _set(S, 2, session_year="2025"),
         quarantined={(S, 2): {"session_year_mismatch"}, (M, 3): {"session_quarantined"}, (M, 4): {"session_quarantined"}}),
    Case("not-icd10cm", _all(_set(S, 1, condition_code="back pain"), _set(S, 2, condition_code="M5.450"),
                             _set(S, 3, condition_code=""), _set(S, 4, condition_code="M54."), _set(S, 5, condition_code="m54.2")),
         quarantined={(S, 1): {"condition_code_invalid"}, (S, 2): {"condition_code_invalid"}, (S, 3): {"condition_code_missing"},
                      (S, 4): {"condition_code_invalid"}, **{(M, r): {"session_quarantined"} for r in range(1, 9)}}),
    Case("patient-id-identifying", _all(_set(S, 1, patient_id=EMAIL), _set(S, 2, patient_id=PHONE), _set(S, 3, patient_id=SSN),
                                        _set(S, 4, patient_id="(555) 987-2186"), _set(S, 5, patient_id="999848775")),
         quarantined={**{(S, r): {"patient_id_identifying"} for r in range(1, 6)},
                      **{(M, r): {"session_quarantined"} for r in range(1, 11)}},
         secrets=(EMAIL, PHONE, SSN, "(555) 987-2186", "999848775")),
    Case("patient-id-malformed", _all(_set(S, 1, patient_id="P 1"), _set(S, 2, patient_id="P1"), _set(S, 3, patient_id="")),
         quarantined={(S, 1): {"patient_id_malformed"}, (S, 2): {"patient_id_malformed"}, (S, 3): {"patient_id_missing"},
                      **{(M, r): {"session_quarantined"} for r in range(1, 7)}}),
    Case("duplicate-session-id", _set(S, 5, session_id="S2"),
         quarantined={(S, 5): {"session_id_duplicate"}, (M, 9): {"session_unknown"}, (M, 10): {"session_unknown"}}),
    Case("measurements-of-unknown-sessions", _all(_set(M, 1, session_id="S99"), _set(M, 12, session_id="")),
         quarantined={(M, 1): {"session_unknown"}, (M, 12): {"session_id_missing"}}),
    Case("values-not-numeric-not-finite-out-of-range", _all(
        _set(M, 1, value="six"), _set(M, 2, value="inf"), _set(M, 3, value="NaN"), _set(M, 4, value="11"),
        _set(M, 5, value="-0.5"), _set(M, 6, value=""), _set(M, 7, value="1e400"), _set(M, 8, value="5,5")),
         quarantined={(M, 1): {"value_not_numeric"}, (M, 2): {"value_not_finite"}, (M, 3): {"value_not_finite"},
                      (M, 4): {"value_out_of_range"}, (M, 5): {"value_out_of_range"}, (M, 6): {"value_missing"},
                      (M, 7): {"value_not_finite"}, (M, 8): {"value_not_numeric"}}),
    Case("measure-and-timepoint-unknown", _all(_set(M, 1, measure="vas"), _set(M, 2, timepoint="during"),
                                              _set(M, 3, measure=""), _set(M, 4, timepoint="")),
         quarantined={(M, 1): {"measure_unknown"}, (M, 2): {"timepoint_invalid"}, (M, 3): {"measure_missing"},
                      (M, 4): {"timepoint_missing"}}),
    Case("measurement-duplicate", lambda b: b.measurements.append(dict(b.measurements[0], value="7")),
         quarantined={(M, 13): {"measurement_duplicate"}}),
    Case("oversize-fields", _all(_set(S, 2, therapist_id="T" * 300), _set(M, 1, measure="x" * 257)),
         quarantined={(S, 2): {"field_oversize"}, (M, 1): {"measure_unknown", "field_oversize"},
                      (M, 3): {"session_quarantined"}, (M, 4): {"session_quarantined"}}),
    Case("clinic-id-malformed-without-manifest", _all(_no_manifest, _set(S, 6, clinic_id="c 9"), _set(M, 12, clinic_id="")),
         quarantined={(S, 6): {"clinic_id_malformed"}, (M, 11): {"session_unknown"},
                      (M, 12): {"clinic_id_missing", "session_unknown"}}),
    Case("many-reasons-on-one-row", _set(S, 1, duration_min="5", sex="female", payer="medicare", session_date="2026-13-01",
                                         patient_id=EMAIL, condition_code="??"),
         quarantined={(S, 1): {"duration_out_of_range", "sex_invalid", "payer_invalid", "session_date_impossible",
                               "patient_id_identifying", "condition_code_invalid"},
                      (M, 1): {"session_quarantined"}, (M, 2): {"session_quarantined"}}, secrets=(EMAIL,)),
    Case("parquet-with-bad-rows", _all(_parquet, _set(S, 1, duration_min="500"), _set(M, 12, value="99")),
         quarantined={(S, 1): {"duration_out_of_range"}, (M, 1): {"session_quarantined"}, (M, 2): {"session_quarantined"},
                      (M, 12): {"value_out_of_range"}}),
    Case("tolerated-spelling", _all(_set(S, 1, sex="f", payer="Insurance", condition_code=" m54.50 "),
                                    _set(M, 1, timepoint=" PRE ", value=" 6.0 "), _set(S, 2, techniques="Effleurage ; stretching")),
         quarantined={}),
    Case("bom-crlf-and-extra-columns", _all(lambda b: setattr(b, "bom", True), lambda b: setattr(b, "newline", "\r\n"),
                                            _add(S, "zip3", "021"), _add(S, "notes_free_text", "ok")),
         quarantined={}, warnings=("column 'zip3' is not in the contract and was ignored",
                                   "column 'notes_free_text' is not in the contract and was ignored")),
    Case("measurements-only-for-some-sessions", lambda b: b.measurements.__delitem__(slice(2, 12)), quarantined={}),
    # an empty month (header rows only, the manifest says rows: 0) is a valid export: accepted with 0 rows
    Case("header-only", _all(lambda b: b.sessions.clear(), lambda b: b.measurements.clear()), quarantined={}),
]

CASES = REJECTED + QUARANTINED


def case_ids() -> list[str]:
    return [c.name for c in CASES]


def clinic_of(index: int) -> str:
    return f"k{index:03d}"


assert len({c.name for c in CASES}) == len(CASES), "case names must be unique"
assert all(code in contract.REASONS for c in CASES for codes in c.quarantined.values() for code in codes)
