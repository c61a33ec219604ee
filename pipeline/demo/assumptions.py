"""The demo's assumptions (not contract values): case mix, schedules, effects, and each demo
clinic's export habits. The numbers and their sources are in ``docs/demo.md``."""
from __future__ import annotations

from dataclasses import dataclass

from pipeline import contract


# Case mix of a massage-therapy network (share of patients per condition group).
CONDITION_MIX = {
    "low_back_pain": 0.30, "neck_pain": 0.22, "shoulder_pain": 0.12, "tension_headache": 0.07,
    "fibromyalgia": 0.07, "myofascial_pain": 0.14, "other": 0.08,
}

# Real ICD-10-CM codes per group, with their share within the group.
ICD10_CODES = {
    "low_back_pain": (("M54.50", 0.40), ("M54.59", 0.15), ("M54.51", 0.05), ("M54.41", 0.10),
                      ("M54.42", 0.10), ("M54.31", 0.10), ("M54.32", 0.10)),
    "neck_pain": (("M54.2", 0.70), ("S13.4XXA", 0.30)),
    "shoulder_pain": (("M25.511", 0.30), ("M25.512", 0.25), ("M75.41", 0.15), ("M75.101", 0.10),
                      ("M75.01", 0.10), ("M75.51", 0.10)),
    "tension_headache": (("G44.209", 0.60), ("G44.229", 0.25), ("G44.219", 0.15)),
    "fibromyalgia": (("M79.7", 1.00),),
    "myofascial_pain": (("M79.18", 0.35), ("M79.12", 0.15), ("M79.10", 0.10), ("M62.830", 0.30),
                        ("M62.838", 0.10)),
    "other": (("M25.561", 0.30), ("M25.562", 0.20), ("M54.6", 0.25), ("M25.551", 0.15),
              ("G89.29", 0.10)),
}
# An injury code's 7th character: A on the first encounter, D on the subsequent ones.
SUBSEQUENT_ENCOUNTER = {"S13.4XXA": "S13.4XXD"}

# The instruments each condition's clinics use. Registry measures not named here are given
# to the `other` group with generic parameters, so a new instrument needs no code change.
INSTRUMENTS = {
    "neck_pain": ("pain_nrs", "ndi", "rom_cervical_rotation", "psfs"),
    "low_back_pain": ("pain_nrs", "rmdq", "odi", "psfs"),
    "shoulder_pain": ("pain_nrs", "psfs", "promis_pi"),
    "tension_headache": ("pain_nrs", "promis_pi", "gad7"),
    "fibromyalgia": ("pain_nrs", "promis_pi", "gad7"),
    "myofascial_pain": ("pain_nrs", "psfs", "gad7"),
    "other": ("pain_nrs", "promis_pi"),
}
SESSION_MEASURE = "pain_nrs"  # scored pre and post at every session

# Baseline (mean, SD) per measure; overrides per (group, measure).
BASELINE = {
    "pain_nrs": (6.0, 1.7), "ndi": (17.0, 6.5), "rmdq": (11.0, 4.5), "odi": (34.0, 13.0),
    "psfs": (3.6, 1.5), "promis_pi": (61.0, 5.5), "gad7": (9.0, 4.5),
    "rom_cervical_rotation": (60.0, 11.0),
}
BASELINE_BY_GROUP = {
    ("fibromyalgia", "pain_nrs"): (6.6, 1.6), ("tension_headache", "pain_nrs"): (5.6, 1.7),
    ("other", "pain_nrs"): (5.5, 1.8), ("fibromyalgia", "promis_pi"): (64.0, 5.5),
    ("fibromyalgia", "gad7"): (10.5, 4.5), ("tension_headache", "gad7"): (9.5, 4.5),
    ("myofascial_pain", "gad7"): (8.0, 4.0),
}
DECIMALS = {"psfs": 1, "promis_pi": 1}  # the other known instruments are scored in integers

# True mean improvement (positive = better, in the measure's units) of a weekly course of
# 60-minute sessions. For pain_nrs this is the sustained part only: the immediate relief of
# the session itself (PAIN_IMMEDIATE) comes on top, since the final score is a `post` score.
EFFECT = {
    ("low_back_pain", "pain_nrs"): 1.0, ("low_back_pain", "rmdq"): 5.0,
    ("low_back_pain", "odi"): 9.0, ("low_back_pain", "psfs"): 2.0,
    ("neck_pain", "pain_nrs"): 1.0, ("neck_pain", "ndi"): 3.8,
    ("neck_pain", "rom_cervical_rotation"): 6.0, ("neck_pain", "psfs"): 2.0,
    ("shoulder_pain", "pain_nrs"): 1.1, ("shoulder_pain", "psfs"): 2.4,
    ("shoulder_pain", "promis_pi"): 3.5,
    ("tension_headache", "pain_nrs"): 0.8, ("tension_headache", "promis_pi"): 2.5,
    ("tension_headache", "gad7"): 1.8,
    ("fibromyalgia", "pain_nrs"): 0.6, ("fibromyalgia", "promis_pi"): 2.5,
    ("fibromyalgia", "gad7"): 2.0,
    ("myofascial_pain", "pain_nrs"): 1.1, ("myofascial_pain", "psfs"): 2.0,
    ("myofascial_pain", "gad7"): 1.5,
    ("other", "pain_nrs"): 0.8, ("other", "promis_pi"): 2.5,
}
PAIN_IMMEDIATE = (0.5, 0.4)  # immediate relief = a + b * duration factor, NRS points
PAIN_IMMEDIATE_SD = 0.5

# Multipliers of the reference effect by frequency band and by session length.
FREQUENCY_FACTOR = {"twice_weekly": 1.35, "weekly": 1.0, "fortnightly": 0.7, "monthly": 0.45,
                    contract.SINGLE_SESSION: 0.25}
PAIN_SUSTAINED_SINGLE = 0.0  # one session: pain improvement is the immediate relief only
DURATIONS = (30, 45, 60, 90)
DURATION_MIX = (0.22, 0.18, 0.48, 0.12)
DURATION_FACTOR = {30: 0.4, 45: 0.75, 60: 1.0, 90: 1.1}
CLINIC_EFFECT_SD = 0.15  # between-clinic heterogeneity: effect x exp(N(0, 0.15))

PRE_POST_R = 0.5  # within-patient correlation of baseline and final
FINAL_SD_RATIO = 1.2  # SD(final) / SD(baseline)
LATENT_SHARE = 0.6  # loading of the episode's shared severity/response on each measure

# Intended schedule per band: share of episodes, sessions (min, max), interval rule.
BAND_MIX = {"twice_weekly": 0.15, "weekly": 0.35, "fortnightly": 0.20, "monthly": 0.12,
            contract.SINGLE_SESSION: 0.18}
BAND_SESSIONS = {"twice_weekly": (6, 16), "weekly": (4, 12), "fortnightly": (3, 7),
                 "monthly": (2, 5), contract.SINGLE_SESSION: (1, 1)}
SECOND_EPISODE_SHARE = 0.12  # patients with a recurrence after a gap > EPISODE_GAP_DAYS
SECOND_EPISODE_GAP = (70, 120)  # days between the two episodes' sessions

DROPOUT = (0.12, 0.25)  # no final questionnaire: good / poor responders (response z < -0.5)
MID_SCORE_SHARE = 0.30  # episodes of >= 4 sessions with a mid-course questionnaire
SINGLE_POST_SHARE = 0.50  # one-session episodes whose questionnaires are repeated post

AGE_MIX = {"18-29": 0.15, "30-44": 0.30, "45-64": 0.37, "65-89": 0.17, "90+": 0.01}
SEX_MIX = {"F": 0.62, "M": 0.35, "X": 0.01, "U": 0.02}
PAYER_MIX = {"self": 0.45, "insurance": 0.38, "workers_comp": 0.06, "auto": 0.06, "other": 0.05}
WHIPLASH_AUTO_SHARE = 0.55
CPT_MIX = {"97124": 0.70, "97140": 0.30}
TECHNIQUE_WEIGHT = {"effleurage": 1.0, "petrissage": 0.9, "tapotement": 0.2, "friction": 0.4,
                    "myofascial_release": 0.7, "trigger_point": 0.6, "lymphatic_drainage": 0.1,
                    "stretching": 0.6, "other": 0.1}
TECHNIQUE_COUNT_MIX = (0.25, 0.45, 0.30)  # 1, 2 or 3 techniques in a session
MISSING = {"techniques": 0.08, "therapist_id": 0.04, "cpt_code": 0.10, "age_band": 0.07,
           "sex": 0.04, "payer": 0.10}
DOTLESS_SHARE = 0.03  # codes keyed without the dot at clinics that normally use it
OTHER_DURATION_SHARE = 0.07  # sessions whose length differs from the episode's usual one
OTHER_THERAPIST_SHARE = 0.15

BAD_MEASURE_CODE = "pain_vas"  # not in the registry
BAD_ICD10_CODE = "XYZ"
BAD_DURATION_MIN = 5


@dataclass(frozen=True)
class ClinicProfile:
    index: int
    clinic_id: str
    date_style: str  # "iso" | "safe_harbor"
    sessions_format: str  # "csv" | "parquet"
    measurements_format: str
    episode_ids: str  # "given" | "empty" (column present, no values) | "absent" (no column)
    dotless_codes: bool
    bom: bool
    fhir: bool = False  # sends FHIR R4 Bulk Data exports from its EHR instead of the two tables


def clinic_profile(index: int, clinics: int) -> ClinicProfile:
    """The export habits of clinic ``index`` (0-based); documented in docs/demo.md."""
    width = max(3, len(str(clinics)))
    fmt = "csv" if (index // 2) % 2 == 0 else "parquet"
    mixed = index % 8 == 5
    return ClinicProfile(
        index=index,
        clinic_id=f"c{index + 1:0{width}d}",
        date_style="iso" if index % 2 == 0 else "safe_harbor",
        sessions_format="parquet" if mixed else fmt,
        measurements_format="csv" if mixed else fmt,
        episode_ids="given" if index % 3 != 2 else ("empty" if (index // 3) % 2 == 0 else "absent"),
        dotless_codes=index % 4 == 3,
        bom=index % 8 == 4,
        fhir=index % 8 == 6,  # one clinic in eight (dated, so its EHR holds real dates)
    )
