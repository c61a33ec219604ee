"""great-expectations suites built from the contract, run on the rows each new batch staged.

One source of truth. Every expectation here is derived from ``pipeline.contract`` (the columns
and whether they are required, their patterns, allowed sets, ranges, the list separator, the
identifying-id patterns, the measure registry); none restates a value. Each expectation
carries the reason code of ``contract.REASONS`` under which the staging SQL quarantines a row
breaking the same rule, so the suite is a second, independent implementation of the gate: the
SQL decides what is staged, great-expectations confirms that everything staged obeys the
contract. A failure therefore means a bug (in the SQL or in a rule's two readings), never bad
input: bad input is quarantined, and counted, before the suite sees it.

Where it runs, and why (measured on this machine, 2 shared CPUs; the table and the command are
in ``docs/quality.md``):

- on pandas, never on DuckDB's SQL datasource: there every expectation fails out of the box
  (the result cursor is closed too early; upstream issues 10738 and 11579) and the regex
  expectations are unsupported;
- on the staged rows of the batches split since the last check (and of batches that failed
  it before), pulled as DuckDB -> Arrow -> pandas, once per table and run, not per batch (the
  48 demo batches one by one would cost about 25 s per table): results are split per batch
  afterwards through the unexpected rows' ``_batch_id`` and ``_row_number``;
- importing great-expectations costs 1.6 s of CPU beside an already imported Dagster (2.8 s
  alone) and 260 MB, paid only when there is something to check, never by ``outcomes
  validate``. ``outcomes run`` pays it beside receiving and staging (``warm_up``: a thread
  started at the first accepted batch); on a small network (the demo) they end first and the
  sessions suite waits for the import (1.8 to 6.4 s at load averages of 3 to 7): its floor there;
- validating costs about 0.3 s per suite whatever the rows (GE builds a metric graph and
  filters the whole frame for each expectation) plus about 7 CPU s per million sessions (34
  expectations) and 2.8 per million scores (21). So up to ``MAX_ROWS`` rows per table and run
  are validated whole; beyond that a deterministic sample (recorded as such) from DuckDB
  (``sql/suites/*_sample.sql``): about ``MAX_ROWS`` rows by a hash of (batch, row number), and
  always the edge rows: the extremes of every ranged column (per measure for scores) and of
  session_year minus the year of session_date, the longest value of every free-text column,
  one row of each value of every coded column (technique lists by their 64-bit hash) and of
  each pattern of empty values among the nullable columns a rule reads for emptiness (the
  others are NOT NULL in staging's DDL). So every range, length, allowed-value, code-pattern,
  required-value and year-mismatch rule is checked on the rows that would break it if any did
  (``tests/quality/test_suites.py`` breaks one row outside the random part for each); the
  identifier patterns and duplicates rest on the random part (10,000 rows miss a bug touching 1
  row in 10,000 with probability 0.37, 50,000 with 0.007; a duplicate needs both copies in it).
  The edge rows do not grow with rows or batches (about 160 on 10M sessions, 30 on 2.8M scores);
  finding them is the part that grows with the intake: packed (value, row key) bigints in one
  aggregate pass, one pass of group-bys, one reading the sampled rows by row key, and no filter
  on the batch when every staged batch is checked (at 10M sessions and 28M scores, 0.4.3: 3.3-4.0
  + 3.4-3.8 s wall on a slow day, against 7.0-7.6 + 4.0-4.9 s for 0.4.2's queries).

The numbers that great-expectations compares must be float64/int64 and the dates
datetime64[ns]: for any other dtype (pandas 3 reads Arrow dates as datetime64[us] and int32 as
int32) its "between" falls back to a Python function per row (measured on 1M rows: 5.0 s of CPU
for datetime64[us] against 0.07 s for [ns], 0.46 s for int32 against 0.06 s for float64), and
raises on a date compared with a string. ``_prepare`` casts accordingly.

Nothing identifying leaves this module: great-expectations returns the unexpected values
themselves; only the batch ids and row numbers are kept.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import re
import threading
import time
import warnings
from dataclasses import dataclass, field
from functools import lru_cache

import duckdb

from pipeline import contract
from pipeline.errors import OutcomesError
from pipeline.staging import SPLIT_SUITE
from pipeline.warehouse import frame, run, scalar, transaction

log = logging.getLogger("outcomes")

SUITES = {table: f"{table}_contract" for table in contract.TABLES}
INDEX_COLUMNS = ["_batch_id", "_row_number"]
MAX_ROWS = 10_000  # per table and run; more rows are checked on a deterministic sample of about this size
FIRST_ROWS = 5  # row numbers kept per batch and failed expectation

# Contract ranges by column (the values live in pipeline.contract; this only says which is whose).
RANGES = {
    "duration_min": contract.DURATION_RANGE,
    "session_day": contract.SESSION_DAY_RANGE,
    "session_year": contract.SESSION_YEAR_RANGE,
}
# Columns whose values are a list, written with contract.LIST_SEPARATOR between the items.
LIST_COLUMNS = ("techniques",)
# Columns the unique key of each table is made of (a later copy is quarantined by the SQL).
UNIQUE_KEYS = {
    "sessions": (["clinic_id", "session_id"], "session_id_duplicate"),
    "measurements": (["clinic_id", "session_id", "measure", "timepoint"], "measurement_duplicate"),
}


@dataclass(frozen=True)
class Rule:
    """One expectation of a suite, in the project's terms (no great-expectations import needed).

    ``condition`` restricts it to some rows: (column, "==", value), (column, "is_null", None)
    or (column, "is_not_null", None).
    """
    expectation: str  # great-expectations class name, e.g. ExpectColumnValuesToBeBetween
    kwargs: dict
    reason: str  # the code of contract.REASONS for the same rule in the staging SQL
    condition: tuple[str, str, object] | None = None

    @property
    def name(self) -> str:
        """snake_case expectation type, with its condition: how audit.checks names it."""
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", self.expectation).lower()
        if self.condition is None:
            return snake
        column, op, value = self.condition
        words = {"==": f"{column} = {value}", "is_null": f"{column} is empty", "is_not_null": f"{column} is given"}
        return f"{snake} where {words[op]}"

    @property
    def column(self) -> str:
        if "column" in self.kwargs:
            return self.kwargs["column"]
        if "column_list" in self.kwargs:
            return ",".join(self.kwargs["column_list"])
        return ",".join(self.kwargs[k] for k in ("column_A", "column_B"))

    @property
    def key(self) -> tuple[str, str]:
        return self.name, self.column


def _reason(column: str, *kinds: str) -> str:
    """The reason code of a column's rule: ``<column>_<kind>``, else ``<first word>_<kind>``."""
    for kind in kinds:
        for stem in (column, column.split("_")[0]):
            if f"{stem}_{kind}" in contract.REASONS:
                return f"{stem}_{kind}"
    raise ValueError(f"contract.REASONS has no code for {column} ({', '.join(kinds)})")


def _one_of(values) -> str:
    return "(?:" + "|".join(re.escape(v) for v in values) + ")"


def rules(table: str, today: dt.date | None = None) -> list[Rule]:
    """The contract's rules for the staged rows of ``table``, as expectations."""
    if table not in contract.COLUMNS:
        raise ValueError(f"unknown table {table!r}; expected one of {contract.TABLES}")
    today = today or dt.date.today()
    out: list[Rule] = []
    for c in contract.COLUMNS[table]:
        if c.required:
            out.append(Rule("ExpectColumnValuesToNotBeNull", {"column": c.name}, _reason(c.name, "missing")))
        if c.pattern and c.type == "text":  # a typed column (a date) has no text form left to match
            out.append(Rule("ExpectColumnValuesToMatchRegex", {"column": c.name, "regex": c.pattern},
                            _reason(c.name, "malformed", "invalid")))
        if c.allowed and c.name in LIST_COLUMNS:
            item = _one_of(c.allowed)
            sep = re.escape(contract.LIST_SEPARATOR)
            out.append(Rule("ExpectColumnValuesToMatchRegex", {"column": c.name, "regex": f"^{item}(?:{sep}{item})*$"},
                            _reason(c.name, "invalid")))
        elif c.allowed:
            out.append(Rule("ExpectColumnValuesToBeInSet", {"column": c.name, "value_set": list(c.allowed)},
                            _reason(c.name, "invalid")))
        if c.type == "text":
            out.append(Rule("ExpectColumnValueLengthsToBeBetween",
                            {"column": c.name, "min_value": 0, "max_value": contract.MAX_FIELD_CHARS}, "field_oversize"))
        if c.name in RANGES:
            low, high = RANGES[c.name]
            out.append(Rule("ExpectColumnValuesToBeBetween", {"column": c.name, "min_value": low, "max_value": high},
                            _reason(c.name, "out_of_range", "invalid")))
    key, reason = UNIQUE_KEYS[table]
    out.append(Rule("ExpectCompoundColumnsToBeUnique", {"column_list": key}, reason))
    if table == "sessions":
        out += [
            Rule("ExpectColumnValuesToNotMatchRegexList",
                 {"column": "patient_id", "regex_list": list(contract.IDENTIFYING_ID_PATTERNS.values())},
                 "patient_id_identifying"),
            Rule("ExpectColumnValuesToBeBetween",
                 {"column": "session_date", "min_value": dt.datetime.fromisoformat(contract.EARLIEST_SESSION_DATE)},
                 "session_date_too_early"),
            Rule("ExpectColumnValuesToBeBetween",
                 {"column": "session_date", "max_value": dt.datetime.combine(today, dt.time())},
                 "session_date_future"),
            Rule("ExpectColumnValuesToBeBetween", {"column": "session_year", "max_value": today.year},
                 "session_date_future"),
            Rule("ExpectColumnValuesToNotBeNull", {"column": "session_day"}, "session_date_missing",
                 ("session_date", "is_null", None)),
            Rule("ExpectColumnValuesToNotBeNull", {"column": "session_year"}, "session_year_missing",
                 ("session_day", "is_not_null", None)),
            Rule("ExpectColumnPairValuesToBeEqual",
                 {"column_A": "session_year", "column_B": "session_date_year", "ignore_row_if": "either_value_is_missing"},
                 "session_year_mismatch"),
        ]
    else:
        out.append(Rule("ExpectColumnValuesToBeInSet", {"column": "measure", "value_set": sorted(contract.measures())},
                        "measure_unknown"))
        for code, m in contract.measures().items():
            out.append(Rule("ExpectColumnValuesToBeBetween",
                            {"column": "value", "min_value": m.range_min, "max_value": m.range_max},
                            "value_out_of_range", ("measure", "==", code)))
    for r in out:
        if r.reason not in contract.REASONS:
            raise ValueError(f"expectation {r.name} on {r.column} names an unknown reason {r.reason!r}")
    return out


# ---------------------------------------------------------------------------------------
# great-expectations (imported only here, and only when there is something to check)
# ---------------------------------------------------------------------------------------


_CONTEXT_LOCK = threading.Lock()  # one context per process, whichever thread asks first builds it


def _context():
    """great-expectations, its batch definition and the seconds its import took: built once."""
    with _CONTEXT_LOCK:
        return _build_context()


def warm_up() -> threading.Thread:
    """Import great-expectations and build its context in a background thread, so that the
    suites find it built: ``outcomes run`` starts it when receiving accepts its first batch, and
    the ~3 s of importing overlap receiving and staging, which spend most of their time in
    DuckDB (outside Python's lock). An import error is left for the suites to report.

    sqlalchemy.orm is imported first, here, in the caller's thread: great-expectations imports
    it, and so does Dagster's event log lazily in the middle of a partitioned step; two threads
    importing that package (whose modules import each other) at once can hand one of them a
    partially initialized module ("partially initialized module 'sqlalchemy.orm.exc' has no
    attribute 'UnmappedClassError'", seen in tests/partitions/test_agg_merge.py). ~0.4 s."""
    import sqlalchemy.orm  # noqa: F401 - see above

    def target():
        try:
            _context()
        except BaseException:  # noqa: BLE001 - the suites raise it again, plainly
            pass

    thread = threading.Thread(target=target, name="great-expectations-warm-up", daemon=True)
    thread.start()
    return thread


@lru_cache(maxsize=1)
def _build_context():
    """An ephemeral context with progress bars off (through the context's settings: TQDM_DISABLE
    does not reach them) and analytics off; one pandas data source of in-memory frames."""
    started = time.perf_counter()
    for name in ("great_expectations", "posthog"):  # before the import: it logs while registering
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        import great_expectations as gx
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )
    except ImportError as exc:
        raise OutcomesError(f"great-expectations cannot be imported ({exc}); install the project's pinned "
                            "dependencies with: pip install -e .") from None

    imported = time.perf_counter() - started
    config = DataContextConfig(store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
                               analytics_enabled=False)
    context = gx.get_context(mode="ephemeral", project_config=config)
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    asset = context.data_sources.add_pandas("outcomes").add_dataframe_asset("staged_rows")
    return gx, asset.add_batch_definition_whole_dataframe("whole_frame"), imported


def import_seconds() -> float:
    """Seconds spent importing great-expectations in this process (0 if not imported yet)."""
    return _context()[2] if _build_context.cache_info().currsize else 0.0


def _condition(rule: Rule):
    from great_expectations.expectations.row_conditions import Column

    column, op, value = rule.condition
    if op == "==":
        return Column(column) == value
    if op == "is_null":
        return Column(column).is_null()
    return Column(column).is_not_null()


_SUITES: dict[tuple, object] = {}  # (table, its rules) -> the suite: built once per table and rules


def build_suite(table: str, today: dt.date | None = None):
    """The great-expectations ExpectationSuite of ``table`` (one expectation per rule); built
    once for the same rules (which change with the day: no session may lie in the future)."""
    the_rules = rules(table, today)
    key = (table, repr(the_rules))
    if key not in _SUITES:
        gx = _context()[0]
        suite = gx.ExpectationSuite(name=SUITES[table])
        for i, rule in enumerate(the_rules):
            kwargs = dict(rule.kwargs)
            if rule.condition is not None:
                kwargs["row_condition"] = _condition(rule)
            meta = {"rule": i, "reason": rule.reason, "words": contract.REASONS[rule.reason]}
            suite.add_expectation(getattr(gx.expectations, rule.expectation)(**kwargs, meta=meta))
        if len(_SUITES) > 8:
            _SUITES.clear()
        _SUITES[key] = suite
    return _SUITES[key]


def _prepare(table: str, df):
    """Dtypes great-expectations compares vectorised: float64 numbers, datetime64[ns] dates."""
    import pandas as pd

    for col in df.columns:
        if col in INDEX_COLUMNS:
            continue
        if pd.api.types.is_datetime64_any_dtype(df[col]):
            # datetime64[ns] spans the years 1677-2262: move what lies beyond to its edge (still out
            # of the contract's range, so still flagged) rather than fail on it
            years = df[col].dt.year
            late, early = years >= 2262, years <= 1677
            if late.any() or early.any():
                df[col] = df[col].astype(object).where(~late, pd.Timestamp("2262-01-01")).where(~early, pd.Timestamp("1678-01-01"))
            df[col] = pd.to_datetime(df[col]).astype("datetime64[ns]")
        elif pd.api.types.is_numeric_dtype(df[col]) and not pd.api.types.is_bool_dtype(df[col]):
            df[col] = df[col].astype("float64")
    return df


@dataclass
class RuleResult:
    rule: Rule
    success: bool
    unexpected: int
    checked: int
    rows_by_batch: dict[str, list[int]] = field(default_factory=dict)  # unexpected data rows per batch
    error: str | None = None


def validate_frame(table: str, df, today: dt.date | None = None) -> list[RuleResult]:
    """Run the suite of ``table`` on a frame of staged rows (with ``_batch_id`` and ``_row_number``)."""
    gx, batch_definition, _ = _context()
    the_rules = rules(table, today)
    suite = build_suite(table, today)
    with warnings.catch_warnings():  # pandas warns that contract patterns have (capturing) groups
        warnings.simplefilter("ignore")
        batch = batch_definition.get_batch(batch_parameters={"dataframe": _prepare(table, df)})
        result = batch.validate(suite, result_format={
            "result_format": "COMPLETE", "unexpected_index_column_names": INDEX_COLUMNS,
            "return_unexpected_index_query": False, "partial_unexpected_count": 0,
        })
    out = []
    for r in result.results:
        rule = the_rules[int(r.expectation_config.meta["rule"])]
        info = r.exception_info or {}
        raised = info.get("raised_exception") or any(
            isinstance(v, dict) and v.get("raised_exception") for v in info.values())
        if raised:
            message = info.get("exception_message") or next(
                (v.get("exception_message") for v in info.values() if isinstance(v, dict) and v.get("exception_message")), "")
            out.append(RuleResult(rule, False, 0, len(df), error=str(message).splitlines()[0][:200] if message else "failed to run"))
            continue
        res = r.result or {}
        by_batch: dict[str, list[int]] = {}
        for row in res.get("unexpected_index_list") or []:  # dicts of index columns AND the values: keep the index only
            by_batch.setdefault(str(row["_batch_id"]), []).append(int(row["_row_number"]))
        out.append(RuleResult(rule, bool(r.success), int(res.get("unexpected_count") or 0),
                              int(res.get("element_count") or len(df)), {b: sorted(v) for b, v in by_batch.items()}))
    out.sort(key=lambda x: the_rules.index(x.rule))
    return out


# ---------------------------------------------------------------------------------------
# Running on the warehouse and storing the results in audit.checks
# ---------------------------------------------------------------------------------------


@dataclass
class SuiteRun:
    """What one run of a table's suite did: on which batches and rows, and what it found."""
    table: str
    suite: str
    batches: list[str]
    rows_staged: int = 0
    rows_checked: int = 0
    sampled: bool = False
    seconds: float = 0.0
    phases: dict[str, tuple[float, float]] = field(default_factory=dict)  # wall and CPU seconds per phase
    results: list[RuleResult] = field(default_factory=list)

    @property
    def failed(self) -> list[RuleResult]:
        return [r for r in self.results if not r.success]

    @property
    def passed(self) -> bool:
        return not self.failed

    def problems(self) -> list[str]:
        """One plain sentence per failed expectation (batch ids and row numbers, never values)."""
        out = []
        for r in self.failed:
            what = f"'{contract.REASONS[r.rule.reason]}' ({r.rule.name} on {r.rule.column})"
            if r.error:
                out.append(f"{self.suite}: {what} could not be evaluated: {r.error}")
                continue
            where = "; ".join(f"batch {b}, data rows {', '.join(map(str, rows[:FIRST_ROWS]))}"
                              f"{', ...' if len(rows) > FIRST_ROWS else ''}" for b, rows in r.rows_by_batch.items())
            out.append(f"{r.unexpected} staged {self.table} rows break {what}: {where}")
        return out

    def summary(self) -> str:
        if not self.batches:
            return f"{self.suite}: no newly staged batches to check"
        if self.failed:
            return self.problems()[0]
        scope = f"a sample of {self.rows_checked} of {self.rows_staged}" if self.sampled else f"all {self.rows_checked}"
        return (f"{self.suite}: {len(self.results)} expectations passed on {scope} staged {self.table} rows "
                f"of {len(self.batches)} batches")


def pending_batches(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """Batches whose ``table`` rows were split and not yet checked (or failed the suite before)."""
    return [r[0] for r in run(con, "audit/checks_pending",
                              {"table_name": table, "suite": SUITES[table], "split_suite": SPLIT_SUITE})]


def stride(rows: int, max_rows: int) -> int:
    """Every how many rows (by a hash of their key) the sample takes one: 1 (every row) up to
    ``max_rows`` rows, else about ``max_rows`` of them (``sql/suites/*_sample.sql``)."""
    if max_rows < 1:
        raise ValueError("max_rows must be at least 1")
    return max(1, -(-rows // max_rows))


def check_new_batches(con: duckdb.DuckDBPyConnection, table: str, max_rows: int = MAX_ROWS,
                      today: dt.date | None = None) -> SuiteRun:
    """Validate the staged rows of the batches not checked yet, and store one row per batch and
    expectation in ``audit.checks`` (details: rows checked, first unexpected row numbers)."""
    outcome = SuiteRun(table, SUITES[table], pending_batches(con, table))
    if not outcome.batches:
        return outcome
    started, mark = time.perf_counter(), (time.perf_counter(), time.process_time())

    def lap(phase: str) -> None:  # wall and CPU seconds (this process, DuckDB's threads included)
        nonlocal mark
        now = (time.perf_counter(), time.process_time())
        outcome.phases[phase] = (now[0] - mark[0], now[1] - mark[1])
        mark = now

    params = {**contract.rule_params(), "batch_ids": outcome.batches, "table_name": table}
    staged = dict(run(con, "suites/staged_rows", params))
    outcome.rows_staged = sum(staged.values())
    every_row = outcome.rows_staged == scalar(con, f"suites/{table}_rows")
    lap("count")
    df = frame(con, f"suites/{table}_sample", {**params, "stride": stride(outcome.rows_staged, max_rows),
                                               "all_batches": every_row})
    lap("sample")
    outcome.rows_checked, outcome.sampled = len(df), len(df) < outcome.rows_staged
    checked = df["_batch_id"].value_counts().to_dict() if len(df) else {}
    if len(df):  # else nothing to check: great-expectations is not imported
        _context()
    lap("import wait")
    outcome.results = validate_frame(table, df, today) if len(df) else [
        RuleResult(rule, True, 0, 0) for rule in rules(table, today)]
    lap("validate")
    _store(con, outcome, staged, checked)
    lap("store")
    outcome.seconds = time.perf_counter() - started
    log.info("[suites] %s (%.2f s; wall/CPU s: %s)", outcome.summary(), outcome.seconds,
             ", ".join(f"{k} {w:.2f}/{c:.2f}" for k, (w, c) in outcome.phases.items()))
    return outcome


def _store(con: duckdb.DuckDBPyConnection, outcome: SuiteRun, staged: dict, checked: dict) -> None:
    rows = {k: [] for k in ("batch_ids", "expectations", "column_names", "successes", "unexpected_counts", "details")}
    for batch_id in outcome.batches:
        for r in outcome.results:
            bad = r.rows_by_batch.get(batch_id, [])
            ok = not r.error and not bad
            details = {
                "reason": r.rule.reason, "rule": contract.REASONS[r.rule.reason],
                "rows_staged": int(staged.get(batch_id, 0)), "rows_checked": int(checked.get(batch_id, 0)),
                "sampled": outcome.sampled, "first_rows": bad[:FIRST_ROWS],
            }
            if r.error:
                details["error"] = r.error
            rows["batch_ids"].append(batch_id)
            rows["expectations"].append(r.rule.name)
            rows["column_names"].append(r.rule.column)
            rows["successes"].append(ok)
            rows["unexpected_counts"].append(len(bad))
            rows["details"].append(json.dumps(details))
    params = {**rows, "table_name": outcome.table, "suite": outcome.suite,
              "checked_at": dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)}
    with transaction(con):
        run(con, "audit/checks_delete_suite", {**params, "batch_ids": outcome.batches})
        run(con, "audit/checks_insert_results", params)
