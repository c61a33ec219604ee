"""Python twins of SQL rules give the SQL's answer (issue 15: tested against the SQL or removed).

* ``contract.condition_group`` (the tests' and tools' reading of an ICD-10-CM code) against
  ``intermediate.int_sessions`` (longest prefix of ``ref.condition_groups``);
* ``contract.frequency_band`` against ``intermediate.int_episodes`` (the band of the measured
  sessions per week, limits bound from ``contract.FREQUENCY_BANDS``);
* the responder rule of ``pipeline.stats.prepost`` (``round(d, 9) >= MCID``, which
  ``pipeline.cohorts.cohort_effects`` uses) against ``marts.episode_outcomes.responder``.
"""
from __future__ import annotations

import datetime as dt

from pipeline import contract, stats
from pipeline.demo.assumptions import ICD10_CODES, SUBSEQUENT_ENCOUNTER
from tests.sql.conftest import add_scores, add_sessions, build_episodes, rows

D = dt.date
SETTINGS = contract.Settings()



def test_condition_group_of_python_is_the_sqls(con):
    codes = sorted({p.code_prefix for p in contract.condition_prefixes()}
                   | {c for group in ICD10_CODES.values() for c, _ in group}
                   | set(SUBSEQUENT_ENCOUNTER.values())
                   | {"M54", "M541", "M5416", "M62", "M6281", "M79", "M796", "M79604", "G44", "G441", "Z000"})
    # staging keeps codes upper case without the dot; the Python rule takes either spelling
    spelled = {c.replace(".", "").upper(): c for c in codes}
    staged = sorted(spelled)
    add_sessions(con, [("c1", f"p{i:04d}", f"s{i}", D(2026, 1, 5), code, 60) for i, code in enumerate(staged)])
    build_episodes(con, SETTINGS)
    sql = dict(rows(con, "select condition_code, condition_group from intermediate.int_sessions"))
    assert len(sql) == len(staged)
    python = {code: contract.condition_group(spelled[code]) for code in staged}
    assert python == sql
    assert {g for g in sql.values()} == set(contract.CONDITION_GROUPS)


# (sessions, span in days): sessions per week = (sessions - 1) / (span / 7), across every limit
SCHEDULES = [(1, 0), (2, 0), (2, 1), (2, 4), (4, 14), (2, 5), (4, 28), (2, 9), (2, 10), (2, 20), (2, 21), (3, 200)]


def test_frequency_band_of_python_is_the_sqls(con):
    sessions = []
    for i, (n, span) in enumerate(SCHEDULES):
        days = [round(k * span / max(n - 1, 1)) for k in range(n)]
        assert days[-1] == span
        sessions += [("c1", f"p{i:04d}", f"s{i}-{k}", day, "M545", 60, f"E{i}") for k, day in enumerate(days)]
    add_sessions(con, sessions)
    build_episodes(con, SETTINGS)
    got = rows(con, "select episode_id, sessions_per_week, frequency_band from intermediate.int_episodes")
    assert len(got) == len(SCHEDULES)
    for episode, spw, band in got:
        assert contract.frequency_band(spw) == band, (episode, spw)
    assert {band for _, _, band in got} == set(contract.BAND_ORDER)


def test_responder_rule_of_python_is_the_sqls(con):
    # pain_nrs (lower is better, MCID 2) and psfs (higher is better): decimal changes on the MCID
    pairs = {
        "pain_nrs": [(6.1, 4.1), (7, 5), (7, 5.1), (3, 6), (8, 2), (4.3, 2.3), (5, 5)],
        "psfs": [(3.1, 5.1), (2.0, 4.0), (2.0, 3.9), (6.0, 4.0), (1.3, 3.3)],
    }
    sessions, scores, i = [], [], 0
    for measure, values in pairs.items():
        for baseline, final in values:
            i += 1
            sessions += [("c1", f"p{i:04d}", f"s{i}a", D(2026, 1, 5), "M545", 60),
                         ("c1", f"p{i:04d}", f"s{i}b", D(2026, 1, 12), "M545", 60)]
            scores += [("c1", f"s{i}a", measure, "pre", baseline), ("c1", f"s{i}b", measure, "post", final)]
    add_sessions(con, sessions)
    add_scores(con, scores)
    build_episodes(con, SETTINGS)
    for measure, values in pairs.items():
        sql = rows(con, "select baseline, final, responder from marts.episode_outcomes where measure = $m "
                        "order by patient_id", {"m": measure})
        assert [(b, f) for b, f, _ in sql] == [(float(b), float(f)) for b, f in values]
        m = contract.measures()[measure]
        cell = stats.prepost([b for b, _ in values], [f for _, f in values], better=m.better, mcid=m.mcid)
        assert cell.responders == sum(r for _, _, r in sql), measure
        # and episode by episode, on the one-episode cells
        for b, f, responder in sql:
            assert stats.prepost([b], [f], better=m.better, mcid=m.mcid).responders == int(responder), (b, f)
