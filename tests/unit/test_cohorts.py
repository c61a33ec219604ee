"""The researcher API (pipeline.cohorts) on a small hand-built warehouse.

Expected figures are quoted from R 4.2.2 (metafor 3.8-1, stats) on the same numbers; the
R call is written beside each value. The warehouse has four groups of episodes:

    A  c001 neck_pain     twice_weekly pain_nrs 12 episodes (9 responders)
    B  c002 neck_pain     monthly      pain_nrs 11 episodes
    C  c002 neck_pain     weekly       pain_nrs  3 episodes
    D  c001 low_back_pain weekly       psfs     11 episodes (higher is better; 8 responders)
"""
from __future__ import annotations

import csv
import math

import duckdb
import pandas as pd
import pytest

from pipeline import cohorts, stats
from pipeline.cohorts import Cohort

# R: bA <- c(8,8,8,8,8,8,6,6,6,6,6,6); iA <- c(3,4,3,4,3,4,1,2,1,2,1,2) and so on
B_A, I_A = [8] * 6 + [6] * 6, [3, 4, 3, 4, 3, 4, 1, 2, 1, 2, 1, 2]
B_B, I_B = [7] * 11, [0, 1, 2, 0, 1, 2, 0, 1, 2, 3, -1]
B_C, F_C = [5, 6, 7], [4, 4, 4]
B_D, I_D = [2, 3, 4, 3, 2, 3, 4, 3, 2, 3, 4], [2, 3, 1, 2, 3, 2, 4, 0, 2, 1, 2]

MART_COLUMNS = (
    "clinic_id varchar, patient_id varchar, episode_id varchar, condition_group varchar, "
    "frequency_band varchar, sessions bigint, span_days bigint, sessions_per_week double, "
    "mean_duration_min double, age_band varchar, sex varchar, payer varchar, start_year integer, "
    "measure varchar, baseline double, final double, improvement double, responder boolean"
)


def _rows():
    rows = []

    def add(clinic, group, band, measure, baseline, final, better, mcid, age, sex, payer):
        i = len(rows) + 1
        imp = baseline - final if better == "lower" else final - baseline
        rows.append((clinic, f"{clinic}-p{i:04d}", f"{clinic}-e{i:04d}", group, band, 4, 14, 1.5, 45.0,
                     age, sex, payer, 2026, measure, float(baseline), float(final), float(imp),
                     round(imp, 9) >= mcid))

    for k, (b, i) in enumerate(zip(B_A, I_A)):
        add("c001", "neck_pain", "twice_weekly", "pain_nrs", b, b - i, "lower", 2,
            "30-44" if k % 2 == 0 else "45-64", "F" if k < 8 else "M", "insurance" if k < 6 else "self")
    for k, (b, i) in enumerate(zip(B_B, I_B)):
        add("c002", "neck_pain", "monthly", "pain_nrs", b, b - i, "lower", 2, "65-89", "F",
            None if k == 0 else "self")
    for b, f in zip(B_C, F_C):
        add("c002", "neck_pain", "weekly", "pain_nrs", b, f, "lower", 2, None, "X", "auto")
    for b, i in zip(B_D, I_D):
        add("c001", "low_back_pain", "weekly", "psfs", b, b + i, "higher", 2, "18-29", "M", "workers_comp")
    return rows


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    path = tmp_path_factory.mktemp("cohorts") / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts; create schema ref")
    con.execute(f"create table marts.episode_outcomes ({MART_COLUMNS})")
    con.executemany("insert into marts.episode_outcomes values (" + ", ".join(["?"] * 18) + ")", _rows())
    con.execute("create table ref.measures (code varchar, instrument varchar, range_min double, range_max double, "
                "better varchar, mcid double, mcid_kind varchar, mcid_source varchar)")
    con.execute("insert into ref.measures values "
                "('pain_nrs', 'pain', 0, 10, 'lower', 2, 'MCID', 'Farrar 2001'), "
                "('psfs', 'PSFS', 0, 10, 'higher', 2, 'MCID', 'Stratford 1995')")
    con.close()
    return path


@pytest.fixture()
def con(warehouse):
    c = cohorts.open_warehouse(warehouse)
    yield c
    c.close()


# --- Cohort ---------------------------------------------------------------------------------


def test_cohort_normalises_values_to_tuples_and_labels_itself():
    c = Cohort(condition_group="neck_pain", sex=["F", "M", "F"], frequency_band=("weekly",))
    assert c.condition_group == ("neck_pain",)
    assert c.sex == ("F", "M")
    assert c.frequency_band == ("weekly",)
    assert c.payer is None
    assert c.filters() == {"condition_group": ("neck_pain",), "sex": ("F", "M"), "frequency_band": ("weekly",)}
    assert c.label == "neck_pain, F|M, weekly"
    assert Cohort().label == "all episodes"
    assert Cohort(payer="self", name="self-pay").label == "self-pay"
    assert Cohort(sex="F") == Cohort(sex=["F"], name="other name")  # the name is not part of identity
    with pytest.raises(AttributeError):
        c.sex = ("M",)  # frozen


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"condition_group": "neck"}, "unknown condition_group 'neck'; choose from: low_back_pain"),
        ({"measure": "vas"}, "unknown measure 'vas'"),
        ({"age_band": "40-49"}, "unknown age_band '40-49'"),
        ({"sex": "female"}, "unknown sex 'female'"),
        ({"payer": "medicare"}, "unknown payer 'medicare'"),
        ({"frequency_band": "daily"}, "unknown frequency_band 'daily'"),
        ({"frequency_band": "all"}, "frequency_band 'all' is not a band; use None"),
        ({"clinic_id": "c001' or 1=1 --"}, "is not a clinic code"),
        ({"sex": []}, "empty list"),
        ({"sex": ["F", 1]}, "values must be strings"),
        ({"payer": 3}, "must be None, a string or a list"),
        ({"name": 3}, "name must be a string"),
    ],
)
def test_cohort_rejects_unknown_values_in_plain_words(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("'", "'")):
        Cohort(**kwargs)


# --- open_warehouse and cohort_outcomes ----------------------------------------------------


def test_open_warehouse_is_read_only_and_explains_missing_files(tmp_path, warehouse, monkeypatch):
    with pytest.raises(FileNotFoundError, match="no warehouse at .*outcomes run"):
        cohorts.open_warehouse(tmp_path / "nope.duckdb")
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(ValueError, match="no marts.episode_outcomes"):
        cohorts.open_warehouse(empty)
    monkeypatch.setenv("OUTCOMES_WAREHOUSE", str(warehouse))
    assert cohorts.default_warehouse() == str(warehouse)
    con = cohorts.open_warehouse()
    with pytest.raises(duckdb.Error):
        con.execute("delete from marts.episode_outcomes")
    con.close()
    monkeypatch.delenv("OUTCOMES_WAREHOUSE")
    assert cohorts.default_warehouse() == "data/warehouse.duckdb"


def test_cohort_outcomes_filters_with_bound_values(con):
    assert len(cohorts.cohort_outcomes(con, Cohort())) == 37
    neck = cohorts.cohort_outcomes(con, Cohort(condition_group="neck_pain"))
    assert len(neck) == 26
    assert list(neck.columns)[:5] == ["clinic_id", "patient_id", "episode_id", "condition_group", "frequency_band"]
    assert neck["episode_id"].is_monotonic_increasing
    # any of several values; an unknown (null) payer or age band is left out by a filter on it
    assert len(cohorts.cohort_outcomes(con, Cohort(payer="self"))) == 6 + 10
    assert len(cohorts.cohort_outcomes(con, Cohort(payer=["self", "auto"]))) == 6 + 10 + 3
    assert len(cohorts.cohort_outcomes(con, Cohort(age_band=["30-44", "45-64", "65-89", "18-29"]))) == 37 - 3
    got = cohorts.cohort_outcomes(con, Cohort(condition_group="neck_pain", sex="F", frequency_band="twice_weekly"))
    assert len(got) == 8 and set(got["sex"]) == {"F"}
    assert len(cohorts.cohort_outcomes(con, Cohort(clinic_id="c003"))) == 0
    assert len(cohorts.cohort_outcomes(con, Cohort(clinic_id=["c002"], measure="pain_nrs"))) == 14
    with pytest.raises(ValueError, match="Cohort"):
        cohorts.cohort_outcomes(con, {"condition_group": "neck_pain"})


# --- cohort_effects ------------------------------------------------------------------------


def test_cohort_effects_one_row_per_measure_matches_r(con):
    eff = cohorts.cohort_effects(con, Cohort())
    assert list(eff["measure"]) == ["pain_nrs", "psfs"]  # registry order
    assert list(eff.columns[:3]) == ["cohort", "measure", "n"]
    assert list(eff.columns[-2:]) == ["q_value", "suppressed"]
    pain, psfs = eff.iloc[0], eff.iloc[1]
    assert pain["n"] == 26 and not pain["suppressed"]
    # R: x <- c(bA, bB, bC); y <- c(fA, fB, fC); d <- x - y
    want = {
        "baseline_mean": 6.884615384615385, "baseline_sd": 0.81618248336621768,    # mean(x), sd(x)
        "final_mean": 5.0769230769230766, "final_sd": 1.1635489477654792,
        "r_pre_post": 0.13607990637705661,                                         # cor(x, y)
        "mean_improvement": 1.8076923076923077, "sd_improvement": 1.3272296189953197,
        "d_z": 1.3620041941655028,
        "g_z": 1.3206613462917209,       # -escalc("SMCC", m1i=mean(y), m2i=mean(x), sd1i=sd(y), sd2i=sd(x), ni=26, ri=r)$yi
        "g_z_ci_low": 0.79473754035336086, "g_z_ci_high": 1.8465851522300811,     # yi -+ qnorm(.975) sqrt(vi)
        "smcr": 2.1475845061405501,      # -escalc("SMCR", m1i=mean(y), m2i=mean(x), sd1i=sd(x), ni=26, ri=r)$yi
        "smcr_var": 0.15514999202897545,
        "wilcoxon_p": 4.4248086700490809e-05,                                     # wilcox.test(y, x, paired=TRUE)
        "responder_rate": 15 / 26,
        "responder_ci_low": 0.38948613746591709, "responder_ci_high": 0.74455556686343427,  # prop.test(15, 26, correct=FALSE)
    }
    for name, value in want.items():
        assert pain[name] == pytest.approx(value, rel=1e-12, abs=1e-15), name
    assert pain["responders"] == 15
    # two published rows: BH q-values (R: p.adjust(c(p_pain, p_psfs), "BH"))
    assert pain["q_value"] == pytest.approx(2 * 4.4248086700490809e-05, rel=1e-12)
    assert psfs["q_value"] == pytest.approx(0.0052339091907882985, rel=1e-12)
    # psfs (higher is better): 8 responders and 3 non-responders, both below 11: responder figures hidden
    assert psfs["n"] == 11 and not psfs["suppressed"]
    assert psfs["g_z"] == pytest.approx(1.6846952812316547, rel=1e-12)   # escalc("SMCC", ...)$yi, no sign flip
    assert psfs["smcr"] == pytest.approx(2.3825189151837618, rel=1e-12)
    assert psfs["smcr_var"] == pytest.approx(0.33486342292954119, rel=1e-12)
    assert psfs["r_pre_post"] == pytest.approx(0.57735026918962573, rel=1e-12)
    assert pd.isna(psfs["responders"]) and all(pd.isna(psfs[c]) for c in cohorts.RESPONDER_FIGURES)
    assert str(eff["n"].dtype) == "Int64" and str(eff["responders"].dtype) == "Int64"
    assert eff["suppressed"].dtype == bool


def test_cohort_effects_by_band_suppresses_small_and_complementary_cells(con):
    eff = cohorts.cohort_effects(con, Cohort(condition_group="neck_pain"), by="frequency_band")
    assert list(eff["frequency_band"]) == ["all", "twice_weekly", "weekly", "monthly"]  # band order
    rows = eff.set_index("frequency_band")
    # weekly (n = 3) is suppressed; monthly (n = 11) too, else weekly = all - twice_weekly - monthly
    assert list(rows["suppressed"]) == [False, False, True, True]
    for band in ("weekly", "monthly"):
        assert all(pd.isna(rows.loc[band, c]) for c in cohorts.FIGURES), band
        assert pd.isna(rows.loc[band, "q_value"])
    tw = rows.loc["twice_weekly"]
    assert tw["n"] == 12 and tw["mean_improvement"] == 2.5
    assert tw["wilcoxon_p"] == pytest.approx(0.0023740614677583921, rel=1e-12)  # wilcox.test(fA, bA, paired=TRUE)
    assert all(pd.isna(tw[c]) for c in cohorts.RESPONDER_FIGURES)  # 9 responders, 3 non-responders
    total = rows.loc["all"]
    assert total["n"] == 26 and total["responders"] == 15
    # BH over the two published rows: p.adjust(c(4.4248086700490809e-05, 0.0023740614677583921), "BH")
    assert total["q_value"] == pytest.approx(2 * 4.4248086700490809e-05, rel=1e-12)
    assert tw["q_value"] == pytest.approx(0.0023740614677583921, rel=1e-12)
    # a lower threshold publishes everything it can
    low = cohorts.cohort_effects(con, Cohort(condition_group="neck_pain"), by="frequency_band", min_n=3)
    assert not low["suppressed"].any()


def test_cohort_effects_by_a_column_with_unknown_values_and_figures_of_prepost(con):
    eff = cohorts.cohort_effects(con, Cohort(measure="pain_nrs"), by="payer", min_n=1)
    assert list(eff["payer"][:4]) == ["all", "self", "insurance", "auto"] and pd.isna(eff["payer"][4])
    unknown = eff[eff["payer"].isna()].iloc[0]
    assert unknown["n"] == 1 and pd.isna(unknown["baseline_sd"])
    ins = eff[eff["payer"] == "insurance"].iloc[0]
    want = stats.prepost(B_A[:6], [b - i for b, i in zip(B_A[:6], I_A[:6])], better="lower", mcid=2.0)
    for name in cohorts.FIGURES:
        got, exp = ins[name], getattr(want, name)
        assert (pd.isna(got) and exp is None) or got == exp, name


def test_cohort_effects_checks_arguments_and_handles_empty_cohorts(con):
    with pytest.raises(ValueError, match="by must be None or one of"):
        cohorts.cohort_effects(con, Cohort(), by="patient_id")
    with pytest.raises(ValueError, match="min_n"):
        cohorts.cohort_effects(con, Cohort(), min_n=0)
    empty = cohorts.cohort_effects(con, Cohort(clinic_id="c009"), by="sex")
    assert empty.empty and list(empty.columns[:3]) == ["cohort", "measure", "sex"]


# --- compare ---------------------------------------------------------------------------------

TW = Cohort(condition_group="neck_pain", frequency_band="twice_weekly")
MO = Cohort(condition_group="neck_pain", frequency_band="monthly")


def test_compare_matches_r_t_test_and_newcombe(con):
    got = cohorts.compare(con, TW, MO, "pain_nrs", min_n=2)
    assert (got.n_a, got.n_b) == (12, 11)
    assert got.cohort_a == "neck_pain, twice_weekly" and not got.suppressed and got.note == ""
    # R: t.test(iA, iB)
    assert got.mean_difference == pytest.approx(1.5, rel=1e-14)
    assert got.mean_difference_se == pytest.approx(0.49082490860702138, rel=1e-12)
    assert got.welch_df == pytest.approx(20.77383353502757, rel=1e-12)
    assert got.welch_t == pytest.approx(3.056079619628624, rel=1e-12)
    assert got.mean_difference_ci_low == pytest.approx(0.47859664874813262, rel=1e-12)
    assert got.mean_difference_ci_high == pytest.approx(2.5214033512518674, rel=1e-12)
    assert got.mean_difference_p == pytest.approx(0.0060503747670571546, rel=1e-10)
    # responders 9 of 12 and 4 of 11; Newcombe from prop.test(x, n, correct=FALSE)$conf.int
    assert (got.responders_a, got.responders_b) == (9, 4)
    assert got.responder_difference == pytest.approx(0.38636363636363635, rel=1e-14)
    assert got.responder_difference_ci_low == pytest.approx(-0.013058254601238051, rel=1e-10)
    assert got.responder_difference_ci_high == pytest.approx(0.65258115592371457, rel=1e-12)
    # prop.test(c(9, 4), c(12, 11), correct=FALSE)$p.value
    assert got.responder_difference_p == pytest.approx(0.061882898504004726, rel=1e-10)
    frame = got.to_frame()
    assert len(frame) == 1 and frame.loc[0, "n_a"] == 12 and str(frame["n_a"].dtype) == "Int64"


def test_compare_suppresses_like_the_published_cells(con):
    got = cohorts.compare(con, TW, MO, "pain_nrs")  # min_n 11: both cohorts big enough
    assert not got.suppressed and got.mean_difference == pytest.approx(1.5)
    assert got.responders_a is None and got.responder_difference is None  # 9 responders < 11
    assert "responder figures suppressed" in got.note
    wk = Cohort(condition_group="neck_pain", frequency_band="weekly")
    small = cohorts.compare(con, TW, wk, "pain_nrs")
    assert small.suppressed and small.n_b is None and small.mean_difference is None
    assert "fewer than 11" in small.note


def test_compare_refuses_overlapping_cohorts_and_excluded_measures(con):
    with pytest.raises(ValueError, match="share 12 episode"):
        cohorts.compare(con, TW, Cohort(condition_group="neck_pain"), "pain_nrs")
    with pytest.raises(ValueError, match="restricted to psfs"):
        cohorts.compare(con, Cohort(measure="psfs", frequency_band="weekly"), MO, "pain_nrs")
    with pytest.raises(ValueError, match="unknown measure"):
        cohorts.compare(con, TW, MO, "pain")
    with pytest.raises(ValueError, match="one measure code"):
        cohorts.compare(con, TW, MO, ["pain_nrs"])


# --- the two new statistics -----------------------------------------------------------------


def test_welch_difference_matches_r_sleep_example():
    # R: t.test(extra ~ group, data = sleep): t = -1.8608, df = 17.776, p-value = 0.07939,
    # 95 percent CI -3.3654832 0.2054832 (the printed example of ?t.test); full digits from R 4.2.2
    g1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
    g2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]
    w = cohorts.welch_difference(g1, g2)
    assert w.difference == pytest.approx(-1.58, rel=1e-14)
    assert w.t == pytest.approx(-1.8608134674868531, rel=1e-12)
    assert w.df == pytest.approx(17.776473516178498, rel=1e-12)
    assert w.p_value == pytest.approx(0.079394140187358173, rel=1e-10)
    assert (w.ci_low, w.ci_high) == pytest.approx((-3.3654832307117104, 0.20548323071171018), rel=1e-12)
    assert w.se == pytest.approx(0.84909101723876201, rel=1e-12)
    with pytest.raises(ValueError, match="constant"):
        cohorts.welch_difference([1, 1, 1], [2, 2])
    with pytest.raises(ValueError, match="at least 2"):
        cohorts.welch_difference([1], [2, 3])
    with pytest.raises(ValueError, match="finite"):
        cohorts.welch_difference([1, float("nan")], [2, 3])


def test_rate_difference_matches_published_newcombe_interval():
    # Fagerland, Lydersen & Laake (2017), Statistical Analysis of Contingency Tables, ch. 4:
    # Perondi et al. (2004), 7/34 vs 1/34: Newcombe hybrid score 0.1765 (95% CI 0.0189 to 0.3404)
    # (R contingencytables::Newcombe_hybrid_score_CI_2x2, its test-ch4.R); full digits from R prop.test
    rd = cohorts.rate_difference(7, 34, 1, 34)
    assert rd.difference == pytest.approx(0.1765, abs=5e-5)
    assert (round(rd.ci_low, 4), round(rd.ci_high, 4)) == (0.0189, 0.3404)
    assert (rd.ci_low, rd.ci_high) == pytest.approx((0.018921443885773048, 0.3403686870327074), rel=1e-12)
    # prop.test(c(7, 1), c(34, 34), correct = FALSE)$p.value
    assert rd.p_value == pytest.approx(0.023925843480626641, rel=1e-10)
    # same book: Pearson chi-squared test for 3/4 vs 1/4: P = 0.15730, T = 2.000
    assert cohorts.rate_difference(3, 4, 1, 4).p_value == pytest.approx(0.15729920705028447, rel=1e-12)
    none = cohorts.rate_difference(0, 10, 0, 12)
    assert none.difference == 0.0 and none.p_value is None and -1 <= none.ci_low < 0 < none.ci_high <= 1
    every = cohorts.rate_difference(10, 10, 0, 10)
    assert every.difference == 1.0 and every.ci_high == 1.0
    with pytest.raises(ValueError, match="successes_a <= n_a"):
        cohorts.rate_difference(5, 4, 1, 4)
    with pytest.raises(ValueError, match="whole number"):
        cohorts.rate_difference(1.5, 4, 1, 4)
    with pytest.raises(ValueError, match="level"):
        cohorts.rate_difference(1, 4, 1, 4, level=1.0)


# --- tidy_export -----------------------------------------------------------------------------


def _read(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_tidy_export_writes_csv_and_a_data_dictionary(con, tmp_path):
    eff = cohorts.cohort_effects(con, Cohort(condition_group="neck_pain"), by="frequency_band")
    out = cohorts.tidy_export(eff, tmp_path / "sub" / "neck.csv")
    assert out.data == tmp_path / "sub" / "neck.csv"
    assert out.dictionary == tmp_path / "sub" / "neck.dictionary.csv"
    data = _read(out.data)
    assert len(data) == 4 and list(data[0]) == list(eff.columns)
    weekly = next(r for r in data if r["frequency_band"] == "weekly")
    assert weekly["n"] == "" and weekly["g_z"] == "" and weekly["suppressed"] == "True"
    total = next(r for r in data if r["frequency_band"] == "all")
    assert float(total["g_z"]) == eff.loc[0, "g_z"]  # full precision round trip
    dictionary = _read(out.dictionary)
    assert [r["name"] for r in dictionary] == list(eff.columns)
    assert list(dictionary[0]) == ["name", "type", "unit", "definition"]
    by_name = {r["name"]: r for r in dictionary}
    assert by_name["n"]["type"] == "integer" and by_name["n"]["unit"] == "episodes"
    assert by_name["g_z"]["type"] == "number" and "SMCC" in by_name["g_z"]["definition"]
    assert by_name["suppressed"]["type"] == "boolean"
    assert by_name["measure"]["type"] == "text"
    # one measure in the table: score units name the instrument
    assert by_name["mean_improvement"]["unit"] == "points of pain_nrs (0-10, lower is better)"
    assert all(r["definition"] for r in dictionary)


def test_tidy_export_describes_comparisons_and_refuses_what_it_cannot_describe(con, tmp_path):
    cmp = cohorts.compare(con, TW, MO, "pain_nrs").to_frame()
    out = cohorts.tidy_export(cmp, tmp_path / "cmp.csv")
    names = [r["name"] for r in _read(out.dictionary)]
    assert names == list(cmp.columns)
    with pytest.raises(ValueError, match="no definition for column.*extra"):
        cohorts.tidy_export(cmp.assign(extra=1), tmp_path / "x.csv")
    got = cohorts.tidy_export(cmp.assign(extra=1), tmp_path / "x.csv", descriptions={"extra": ("", "a flag")})
    assert _read(got.dictionary)[-1] == {"name": "extra", "type": "integer", "unit": "", "definition": "a flag"}
    episodes = cohorts.cohort_outcomes(con, TW)
    with pytest.raises(ValueError, match="one row per episode"):
        cohorts.tidy_export(episodes, tmp_path / "episodes.csv")
    rows = cohorts.tidy_export(episodes, tmp_path / "episodes", allow_episode_rows=True)
    assert rows.dictionary.name == "episodes.dictionary.csv"
    assert len(_read(rows.data)) == 12
    units = {r["name"]: r["unit"] for r in _read(rows.dictionary)}
    assert units["span_days"] == "days" and units["baseline"].startswith("points of pain_nrs")


def test_no_nan_leaks_into_published_figures(con):
    eff = cohorts.cohort_effects(con, Cohort(), by="clinic_id", min_n=1)
    for col in cohorts.FIGURES:
        for v in eff[col]:
            assert v is pd.NA or v is None or not (isinstance(v, float) and math.isinf(v))
