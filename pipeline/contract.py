"""The public contract in one place: export columns and their rules, the measure registry,
condition groups, frequency bands and the thresholds every published figure depends on.

Everything else derives from this module: the bound parameters of the staging SQL, the
great-expectations suites, the demo generator and the report's methods text. See
``shared/design/contract.md`` (sections 1 and 3).
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

REGISTRY_DIR = Path(__file__).with_name("registry")

SCHEMA_VERSIONS = ("1",)
# Where the command line, the deployed definitions and the Python API look by default (section 4).
DEFAULT_INBOX = "data/inbox"
DEFAULT_WAREHOUSE = "data/warehouse.duckdb"
DEFAULT_REPORTS = "reports"
TABLES = ("sessions", "measurements")
FILE_FORMATS = ("csv", "parquet")

# Episodes and frequency (contract section 3).
EPISODE_GAP_DAYS = 60
SUPPRESSION_MIN_N = 11  # CMS cell-size policy; OHDSI uses 5

# (band, lower bound inclusive, upper bound exclusive) in sessions per week.
FREQUENCY_BANDS = (
    ("twice_weekly", 1.5, None),
    ("weekly", 0.75, 1.5),
    ("fortnightly", 0.35, 0.75),
    ("monthly", None, 0.35),
)
SINGLE_SESSION = "single_session"
# Session-length bands of the duration dose-response (episode mean minutes per session).
DURATION_BANDS = (
    ("under_40", None, 40),
    ("40_to_54", 40, 55),
    ("55_to_74", 55, 75),
    ("75_plus", 75, None),
)
BAND_ORDER = ("twice_weekly", "weekly", "fortnightly", "monthly", SINGLE_SESSION)
ALL_BANDS = "all"

TECHNIQUES = (
    "effleurage", "petrissage", "tapotement", "friction", "myofascial_release",
    "trigger_point", "lymphatic_drainage", "stretching", "other",
)
AGE_BANDS = ("18-29", "30-44", "45-64", "65-89", "90+")
SEXES = ("F", "M", "X", "U")
PAYERS = ("self", "insurance", "workers_comp", "auto", "other")
TIMEPOINTS = ("pre", "post")
# The responder model's baseline covariate: this many equal parts of each measure's scale
# (sql/aggregates/macro_baseline_band.sql), so that its patterns are counts, not episodes.
BASELINE_BANDS = 5

CLINIC_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
PATIENT_ID_PATTERN = r"^[A-Za-z0-9_-]{4,64}$"
# ICD-10-CM: a letter, two characters of category, then up to four after an optional dot.
ICD10CM_PATTERN = r"^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$"
ISO_DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
INTEGER_PATTERN = r"^[+-]?[0-9]+$"
MAX_FIELD_CHARS = 256
LIST_SEPARATOR = ";"  # between the values of a list column (techniques)
DURATION_RANGE = (10, 180)
SESSION_DAY_RANGE = (0, 36500)
SESSION_YEAR_RANGE = (1990, 2100)
EARLIEST_SESSION_DATE = "1990-01-01"

# A pseudonymous patient id must not be an e-mail, a phone number or an SSN. Each pattern is
# complete on its own (DuckDB's RE2 and Python's re read it alike): an SSN is 9 digits, maybe
# grouped 3-2-4; a phone number is 10 to 15 digits (E.164) with optional +, parentheses,
# spaces, dots or hyphens between them. A numeric id of 10-15 digits therefore counts as a
# phone number: pseudonymous ids should carry a letter.
IDENTIFYING_ID_PATTERNS = {
    "email": r"@",
    "ssn": r"^[0-9]{3}[ -]?[0-9]{2}[ -]?[0-9]{4}$",
    "phone": r"^\+?[(]?(?:[0-9][ ().-]{0,2}){9,14}[0-9]$",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # text | int | date | number
    required: bool
    rule: str = ""  # plain words for the README and validation messages
    pattern: str | None = None
    allowed: tuple[str, ...] | None = None


SESSION_COLUMNS = (
    Column("clinic_id", "text", True, "pseudonymous clinic code", CLINIC_ID_PATTERN),
    Column("patient_id", "text", True, "pseudonymous patient code; never an e-mail, phone or SSN", PATIENT_ID_PATTERN),
    Column("session_id", "text", True, "unique within the clinic"),
    Column("episode_id", "text", False, "the clinic's own episode-of-care id"),
    Column("session_date", "date", False, "ISO YYYY-MM-DD", ISO_DATE_PATTERN),
    Column("session_day", "int", False, "days since the patient's first session at this clinic"),
    Column("session_year", "int", False, "calendar year of the session"),
    Column("condition_code", "text", True, "ICD-10-CM code, with or without the dot", ICD10CM_PATTERN),
    Column("duration_min", "int", True, "minutes, 10 to 180"),
    Column("techniques", "text", False, "';'-separated techniques", None, TECHNIQUES),
    Column("therapist_id", "text", False, "pseudonymous"),
    Column("cpt_code", "text", False, "e.g. 97124"),
    Column("age_band", "text", False, "18-29, 30-44, 45-64, 65-89, 90+", None, AGE_BANDS),
    Column("sex", "text", False, "F, M, X, U", None, SEXES),
    Column("payer", "text", False, "self, insurance, workers_comp, auto, other", None, PAYERS),
)

MEASUREMENT_COLUMNS = (
    Column("clinic_id", "text", True, "pseudonymous clinic code", CLINIC_ID_PATTERN),
    Column("session_id", "text", True, "a session of this clinic"),
    Column("measure", "text", True, "a code of the measure registry"),
    Column("timepoint", "text", True, "pre or post", None, TIMEPOINTS),
    Column("value", "number", True, "inside the measure's range"),
)

COLUMNS = {"sessions": SESSION_COLUMNS, "measurements": MEASUREMENT_COLUMNS}
DATE_COLUMNS = ("session_date", "session_day")  # at least one of the two is required


def column_names(table: str) -> list[str]:
    return [c.name for c in COLUMNS[table]]


def required_columns(table: str) -> list[str]:
    return [c.name for c in COLUMNS[table] if c.required]


# Headers that carry a direct identifier (HIPAA Safe Harbor's list, and what a real FHIR
# export flattens to: Patient.name.given, telecom, address.line, birthDate, identifier with
# MRN/SSN/driver's licence/passport). A header is normalised (lower case; spaces, hyphens,
# underscores and dots removed) and rejected when it contains any of these parts ...
IDENTIFYING_HEADER_PARTS = (
    "name", "email", "mail", "phone", "telephone", "telecom", "mobile", "fax", "address",
    "street", "zip", "postal", "postcode", "birth", "dob", "ssn", "socialsecurity", "mrn",
    "medicalrecord", "insuranceid", "memberid", "identifier", "passport", "license",
    "licence", "latitude", "longitude", "geolocation",
)
# ... or is exactly one of these short words (too short to match inside other words safely).
IDENTIFYING_HEADERS = frozenset({
    "tel", "cell", "city", "town", "county", "given", "family", "surname", "initials",
    "ip", "url", "lat", "lon", "lng", "dl",
})
ALLOWED_HEADERS_WITH_PARTS = {"zip3"}  # Safe Harbor permits the first three ZIP digits


def normalise_header(header: str) -> str:
    return re.sub(r"[\s\-_.]+", "", header.strip().lstrip("\ufeff").lower())


def identifying_header(header: str) -> bool:
    norm = normalise_header(header)
    if norm in ALLOWED_HEADERS_WITH_PARTS or norm in {normalise_header(c) for t in TABLES for c in column_names(t)}:
        return False
    return norm in IDENTIFYING_HEADERS or any(part in norm for part in IDENTIFYING_HEADER_PARTS)


@dataclass(frozen=True)
class Measure:
    code: str
    instrument: str
    range_min: float
    range_max: float
    better: str  # lower | higher
    mcid: float
    mcid_kind: str
    mcid_source: str


@dataclass(frozen=True)
class ConditionPrefix:
    code_prefix: str
    condition_group: str
    description: str


def _read_csv(name: str) -> list[dict[str, str]]:
    with open(REGISTRY_DIR / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@lru_cache(maxsize=1)
def measures() -> dict[str, Measure]:
    """The measure registry (data: ``pipeline/registry/measures.csv``)."""
    out = {}
    for row in _read_csv("measures.csv"):
        out[row["code"]] = Measure(
            row["code"], row["instrument"], float(row["range_min"]), float(row["range_max"]),
            row["better"], float(row["mcid"]), row["mcid_kind"], row["mcid_source"],
        )
    return out


@lru_cache(maxsize=1)
def condition_prefixes() -> tuple[ConditionPrefix, ...]:
    """ICD-10-CM prefixes (dot removed) of each condition group; others are ``other``."""
    return tuple(ConditionPrefix(**row) for row in _read_csv("condition_groups.csv"))


CONDITION_GROUPS = (
    "low_back_pain", "neck_pain", "shoulder_pain", "tension_headache", "fibromyalgia",
    "myofascial_pain", "other",
)


def condition_group(code: str) -> str:
    """Map an ICD-10-CM code (dot ignored) to its group; longest prefix wins."""
    norm = code.replace(".", "").upper()
    best = ("", "other")
    for p in condition_prefixes():
        if norm.startswith(p.code_prefix) and len(p.code_prefix) > len(best[0]):
            best = (p.code_prefix, p.condition_group)
    return best[1]


def frequency_band(sessions_per_week: float | None) -> str:
    if sessions_per_week is None:
        return SINGLE_SESSION
    for band, low, high in FREQUENCY_BANDS:
        if (low is None or sessions_per_week >= low) and (high is None or sessions_per_week < high):
            return band
    raise ValueError(f"no band for {sessions_per_week}")


@dataclass(frozen=True)
class Settings:
    """Run-time knobs that change published figures; recorded in every report."""
    episode_gap_days: int = EPISODE_GAP_DAYS
    suppression_min_n: int = SUPPRESSION_MIN_N
    extra: dict = field(default_factory=dict)


def rule_params() -> dict:
    """The contract's rules as named parameters of the staging SQL (``sql/staging/*.sql``)."""
    return {
        "clinic_id_pattern": CLINIC_ID_PATTERN,
        "patient_id_pattern": PATIENT_ID_PATTERN,
        "icd_pattern": ICD10CM_PATTERN,
        "date_pattern": ISO_DATE_PATTERN,
        "earliest_date": EARLIEST_SESSION_DATE,
        "max_chars": MAX_FIELD_CHARS,
        "duration_lo": DURATION_RANGE[0],
        "duration_hi": DURATION_RANGE[1],
        "day_lo": SESSION_DAY_RANGE[0],
        "day_hi": SESSION_DAY_RANGE[1],
        "year_lo": SESSION_YEAR_RANGE[0],
        "year_hi": SESSION_YEAR_RANGE[1],
        "techniques": list(TECHNIQUES),
        "list_separator": LIST_SEPARATOR,
        "age_bands": list(AGE_BANDS),
        "sexes": list(SEXES),
        "payers": list(PAYERS),
        "timepoints": list(TIMEPOINTS),
        "id_email_pattern": IDENTIFYING_ID_PATTERNS["email"],
        "id_ssn_pattern": IDENTIFYING_ID_PATTERNS["ssn"],
        "id_phone_pattern": IDENTIFYING_ID_PATTERNS["phone"],
    }



# --- the published columns in plain words (section 2) ------------------------------------------
# The data dictionary of the marts' columns, which pipeline.cohorts writes beside every table it
# exports. Its words are built from the values above (bands, episode gap, age bands, sexes,
# payers, the suppression threshold, the export columns' rules), so they cannot drift from the
# contract. SCORE_UNIT stands for the measure's own unit, which the writer resolves per table.
SCORE_UNIT = "score"


def _or_list(values: tuple[str, ...]) -> str:
    return ", ".join(values[:-1]) + " or " + values[-1]


def frequency_band_rule() -> str:
    """The measured frequency bands in words, from FREQUENCY_BANDS."""
    parts = []
    for i, (band, low, high) in enumerate(FREQUENCY_BANDS):
        if high is None:
            text = f"{band} >= {low:g}"
        elif low is None:
            text = f"{band} < {high:g}"
        else:
            text = f"{band} {low:g} to < {high:g}"
        parts.append(text + (" sessions/week" if i == 0 else ""))
    parts.append(f"{SINGLE_SESSION} = all sessions on one day")
    return "measured frequency band: " + ", ".join(parts)


def _rule(table: str, name: str) -> str:
    return next(c.rule for c in COLUMNS[table] if c.name == name)


def _mart_columns() -> dict[str, tuple[str, str]]:
    score, sd, g = SCORE_UNIT, "standard deviations", "g_z: g_z {} 1.96 sqrt(1/n + g_z^2/(2n))"
    return {
        # marts.episode_outcomes
        "clinic_id": ("", _rule("sessions", "clinic_id")),
        "patient_id": ("", _rule("sessions", "patient_id")),
        "episode_id": ("", f"episode of care: the clinic's id, or a new episode after more than {EPISODE_GAP_DAYS} "
                           "days without a session"),
        "condition_group": ("", "condition group of the episode (ICD-10-CM prefixes, contract section 3)"),
        "frequency_band": ("", frequency_band_rule() + f"; '{ALL_BANDS}' = the whole cohort (every band)"),
        "sessions": ("sessions", "sessions in the episode"),
        "span_days": ("days", "days from the episode's first to its last session"),
        "sessions_per_week": ("sessions per week",
                              "(sessions - 1) / (span_days / 7); empty for a single-session episode"),
        "mean_duration_min": ("minutes", "mean session length in the episode"),
        "age_band": ("years", f"age band ({', '.join(AGE_BANDS)}); empty when unknown; '{ALL_BANDS}' = every band"),
        "sex": ("", f"{_or_list(SEXES)}; empty when unknown; '{ALL_BANDS}' = everyone"),
        "payer": ("", f"{_or_list(PAYERS)}; empty when unknown; '{ALL_BANDS}' = every payer"),
        "start_year": ("year", "calendar year of the episode's first session"),
        "measure": ("", "outcome measure code (ref.measures: instrument, range, direction, MCID)"),
        "baseline": (score, "the episode's first 'pre' score of the measure"),
        "final": (score, "the episode's last 'post' score (its last score of any timepoint when no 'post' "
                         "follows the baseline)"),
        "improvement": (score, "baseline - final when lower is better, final - baseline when higher is better: "
                               "positive = better"),
        "responder": ("", "improvement >= the measure's MCID"),
        # marts.effect_sizes (statistics.md)
        "n": ("episodes", "episodes with a baseline and a final score"),
        "baseline_mean": (score, "mean baseline score"),
        "baseline_sd": (score, "standard deviation of the baseline scores (n - 1 denominator)"),
        "final_mean": (score, "mean final score"),
        "final_sd": (score, "standard deviation of the final scores (n - 1 denominator)"),
        "r_pre_post": ("correlation", "Pearson correlation of baseline and final scores; empty when n < 3 or an SD is 0"),
        "mean_improvement": (score, "mean improvement (positive = better)"),
        "sd_improvement": (score, "standard deviation of the improvements"),
        "d_z": (sd, "standardized response mean: mean_improvement / sd_improvement"),
        "g_z": (sd, "d_z times Hedges' exact correction J(n - 1) (metafor escalc 'SMCC', sign: positive = better)"),
        "g_z_ci_low": (sd, "95% CI lower bound of " + g.format("-")),
        "g_z_ci_high": (sd, "95% CI upper bound of " + g.format("+")),
        "smcr": ("baseline standard deviations",
                 "J(n - 1) * mean_improvement / baseline_sd (Becker 1988; metafor escalc 'SMCR')"),
        "smcr_var": ("squared baseline SDs", "sampling variance of smcr: 2(1 - r)/n + smcr^2/(2n) (metafor vtype 'LS')"),
        "wilcoxon_p": ("probability", "two-sided Wilcoxon signed-rank p-value of the improvements (as R "
                                      "wilcox.test(final, baseline, paired = TRUE))"),
        "responders": ("episodes", "episodes with improvement >= the measure's MCID"),
        "responder_rate": ("proportion", "responders / n"),
        "responder_ci_low": ("proportion", "95% Wilson score interval of responder_rate, lower bound "
                                           "(R prop.test(correct = FALSE))"),
        "responder_ci_high": ("proportion", "95% Wilson score interval of responder_rate, upper bound"),
        "q_value": ("probability", "Benjamini-Hochberg adjusted wilcoxon_p over the table's published rows"),
        "suppressed": ("", f"true when the row is hidden by small-cell suppression (fewer than {SUPPRESSION_MIN_N} "
                           "episodes, or to protect such a row); its figures are empty"),
    }


# (unit, definition) of each published column of marts.episode_outcomes and marts.effect_sizes.
MART_COLUMNS: dict[str, tuple[str, str]] = _mart_columns()

# Row reason codes, in plain words (validation reports and the data-quality page).
REASONS = {
    "clinic_id_missing": "clinic_id is empty",
    "clinic_id_malformed": "clinic_id has characters other than letters, digits, '-' and '_' (or is longer than 64)",
    "patient_id_missing": "patient_id is empty",
    "patient_id_identifying": "patient_id looks like an e-mail address, phone number or SSN",
    "patient_id_malformed": "patient_id is not 4 to 64 letters, digits, '-' or '_'",
    "session_id_missing": "session_id is empty",
    "session_id_duplicate": "session_id was already sent by this clinic (the first copy is kept)",
    "session_date_missing": "neither session_date nor session_day is given",
    "session_date_malformed": "session_date is not written as YYYY-MM-DD",
    "session_date_impossible": "session_date is not a real calendar date",
    "session_date_future": "session_date (or session_year) is in the future",
    "session_date_too_early": "session_date is before 1990",
    "session_day_invalid": "session_day is not a whole number of days from 0",
    "session_year_missing": "session_day is given without session_year",
    "session_year_invalid": "session_year is not a year between 1990 and 2100",
    "session_year_mismatch": "session_year is not the year of session_date",
    "condition_code_missing": "condition_code is empty",
    "condition_code_invalid": "condition_code is not an ICD-10-CM code",
    "duration_missing": "duration_min is empty",
    "duration_not_integer": "duration_min is not a whole number of minutes",
    "duration_out_of_range": "duration_min is outside 10 to 180",
    "techniques_invalid": "techniques has a value outside the contract's list",
    "age_band_invalid": "age_band is not one of 18-29, 30-44, 45-64, 65-89, 90+",
    "sex_invalid": "sex is not one of F, M, X, U",
    "payer_invalid": "payer is not one of self, insurance, workers_comp, auto, other",
    "field_oversize": "a field is longer than 256 characters",
    "measure_missing": "measure is empty",
    "measure_unknown": "measure is not a code of the measure registry",
    "timepoint_missing": "timepoint is empty",
    "timepoint_invalid": "timepoint is not 'pre' or 'post'",
    "value_missing": "value is empty",
    "value_not_numeric": "value is not a number",
    "value_not_finite": "value is infinite or not a number",
    "value_out_of_range": "value is outside the measure's range",
    "session_unknown": "the session is not a session of this clinic (in this batch or an earlier one)",
    "session_quarantined": "the session it belongs to was quarantined",
    "measurement_duplicate": "the same session, measure and timepoint was already sent (the first copy is kept)",
}

# Reason codes of quarantine.fhir_resources: FHIR resources of which no row could be made (docs/fhir.md).
# Rows mapped from FHIR are quarantined by the rules above, like any row.
FHIR_REASONS = {
    "fhir_encounter_missing": "the resource names no encounter, so it belongs to no session",
    "fhir_encounter_unresolved": "its encounter reference does not resolve to an Encounter of the export (a broken reference)",
}
