"""SQL models on hand-built rows, with exact expected output (contract section 3)."""
from __future__ import annotations

import datetime as dt

import pytest

from pipeline import contract
from tests.sql.conftest import add_scores, add_sessions, build_episodes, build_marts, rows

D = dt.date
SETTINGS = contract.Settings()



def test_condition_group_uses_longest_prefix_and_ignores_the_dot(con):
    add_sessions(con, [
        ("c1", "p001", "s1", D(2026, 1, 5), "M5450", 60),
        ("c1", "p002", "s2", D(2026, 1, 5), "M542", 60),
        ("c1", "p003", "s3", D(2026, 1, 5), "S134XXA", 60),
        ("c1", "p004", "s4", D(2026, 1, 5), "M25511", 60),
        ("c1", "p005", "s5", D(2026, 1, 5), "M6283", 60),
        ("c1", "p006", "s6", D(2026, 1, 5), "M79604", 60),
        ("c1", "p007", "s7", D(2026, 1, 5), "M7918", 60),
        ("c1", "p008", "s8", D(2026, 1, 5), "G44209", 60),
    ])
    build_episodes(con, SETTINGS)
    got = dict(rows(con, "select session_id, condition_group from intermediate.int_sessions"))
    assert got == {
        "s1": "low_back_pain", "s2": "neck_pain", "s3": "neck_pain", "s4": "shoulder_pain",
        "s5": "myofascial_pain", "s6": "other", "s7": "myofascial_pain", "s8": "tension_headache",
    }


def test_a_gap_of_more_than_60_days_starts_a_new_episode(con):
    add_sessions(con, [
        ("c1", "p001", "s1", D(2026, 1, 1), "M545", 60),
        ("c1", "p001", "s2", D(2026, 3, 2), "M545", 60),   # 60 days later: same episode
        ("c1", "p001", "s3", D(2026, 5, 2), "M545", 60),   # 61 days later: new episode
        ("c1", "p001", "s4", D(2026, 5, 2), "M542", 60),   # another condition: its own episode
    ])
    build_episodes(con, SETTINGS)
    got = rows(con, "select session_id, episode_id from intermediate.int_episode_sessions order by session_id")
    assert got == [
        ("s1", "derived-low_back_pain-1"), ("s2", "derived-low_back_pain-1"),
        ("s3", "derived-low_back_pain-2"), ("s4", "derived-neck_pain-1"),
    ]


def test_the_clinics_episode_id_wins_over_the_gap_rule(con):
    add_sessions(con, [
        ("c1", "p001", "s1", 0, "M545", 60, "E1"),
        ("c1", "p001", "s2", 200, "M545", 60, "E1"),
    ])
    build_episodes(con, SETTINGS)
    assert rows(con, "select episode_id, sessions, span_days from intermediate.int_episodes") == [("E1", 2, 200)]


@pytest.mark.parametrize("days_between, sessions, band", [
    ([0, 0], 2, "single_session"),          # all on one day
    ([0], 1, "single_session"),
    ([0, 14], 2, "fortnightly"),            # 1 / (14/7) = 0.5
    ([0, 7, 14], 3, "weekly"),              # exactly 1.0
    ([0, 28], 2, "monthly"),                # 0.25
])
def test_frequency_is_measured_from_the_dates(con, days_between, sessions, band):
    add_sessions(con, [("c1", "p001", f"s{i}", d, "M545", 60) for i, d in enumerate(days_between)])
    build_episodes(con, SETTINGS)
    assert rows(con, "select sessions, frequency_band from intermediate.int_episodes") == [(sessions, band)]


def test_band_boundaries_are_inclusive_below(con):
    # (sessions - 1) / (span / 7): 4 sessions in 14 days = 1.5/week (twice_weekly);
    # 4 sessions in 28 days = 0.75 (weekly); 2 sessions over 20 days = 0.35 (fortnightly).
    add_sessions(con, [
        *[("c1", "pA", f"a{i}", d, "M545", 60) for i, d in enumerate([0, 5, 9, 14])],
        *[("c1", "pB", f"b{i}", d, "M545", 60) for i, d in enumerate([0, 10, 20, 28])],
        *[("c1", "pC", f"c{i}", d, "M545", 60) for i, d in enumerate([0, 20])],
    ])
    build_episodes(con, SETTINGS)
    got = dict(rows(con, "select patient_id, frequency_band from intermediate.int_episodes"))
    assert got == {"pA": "twice_weekly", "pB": "weekly", "pC": "fortnightly"}


def test_baseline_is_the_first_pre_and_final_the_last_post(con):
    add_sessions(con, [
        ("c1", "p001", "s1", D(2026, 1, 1), "M545", 60),
        ("c1", "p001", "s2", D(2026, 1, 8), "M545", 60),
        ("c1", "p001", "s3", D(2026, 1, 15), "M545", 60),
    ])
    add_scores(con, [
        ("c1", "s1", "pain_nrs", "post", 6.0),   # a post before any pre is not a baseline
        ("c1", "s2", "pain_nrs", "pre", 7.0),    # baseline
        ("c1", "s2", "pain_nrs", "post", 5.0),
        ("c1", "s3", "pain_nrs", "pre", 4.0),
        ("c1", "s3", "pain_nrs", "post", 3.0),   # final: the last post
        ("c1", "s1", "psfs", "pre", 3.0),        # higher is better
        ("c1", "s3", "psfs", "pre", 6.5),        # no post after baseline: last score of any timepoint
        ("c1", "s1", "ndi", "pre", 20.0),        # a single score: no outcome row
    ])
    build_episodes(con, SETTINGS)
    got = rows(con, "select measure, baseline, final, improvement, responder from marts.episode_outcomes order by measure")
    assert got == [("pain_nrs", 7.0, 3.0, 4.0, True), ("psfs", 3.0, 6.5, 3.5, True)]
    series = rows(con, "select measure, scores, baseline, final from intermediate.int_episode_measures order by measure")
    assert series == [("ndi", 1, 20.0, None), ("pain_nrs", 5, 7.0, 3.0), ("psfs", 2, 3.0, 6.5)]


def test_responder_means_improvement_of_at_least_the_mcid(con):
    add_sessions(con, [
        ("c1", "p001", "s1", D(2026, 1, 1), "M545", 60), ("c1", "p001", "s2", D(2026, 1, 8), "M545", 60),
        ("c1", "p002", "s3", D(2026, 1, 1), "M545", 60), ("c1", "p002", "s4", D(2026, 1, 8), "M545", 60),
    ])
    add_scores(con, [
        ("c1", "s1", "pain_nrs", "pre", 7.0), ("c1", "s2", "pain_nrs", "post", 5.0),   # 2 = MCID
        ("c1", "s3", "pain_nrs", "pre", 7.0), ("c1", "s4", "pain_nrs", "post", 5.5),   # 1.5 < MCID
    ])
    build_episodes(con, SETTINGS)
    assert rows(con, "select patient_id, improvement, responder from marts.episode_outcomes order by 1") == [
        ("p001", 2.0, True), ("p002", 1.5, False)]


def test_completeness_counts_episodes_with_one_score(con):
    add_sessions(con, [
        ("c1", "p001", "s1", D(2026, 1, 1), "M545", 60), ("c1", "p001", "s2", D(2026, 1, 8), "M545", 60),
        ("c1", "p002", "s3", D(2026, 1, 1), "M545", 60),
        ("c1", "p003", "s4", D(2026, 1, 1), "M545", 60),
    ])
    add_scores(con, [
        ("c1", "s1", "pain_nrs", "pre", 7.0), ("c1", "s2", "pain_nrs", "post", 5.0),
        ("c1", "s3", "pain_nrs", "pre", 6.0),
    ])
    build_marts(con, contract.Settings(suppression_min_n=1))
    got = rows(con, "select level, episodes, episodes_scored, episodes_with_baseline, episodes_complete "
                    "from marts.completeness order by level")
    assert got == [("clinic", 3, 2, 2, 1), ("network", 3, 2, 2, 1)]
