"""One demo clinic's whole export period, generated in one vectorised pass (numpy, no
per-session Python loop): patients, episodes, their planned and kept sessions, the outcome
model, and the two contract tables as Arrow. Each stage draws from the clinic's generator in
a fixed order, so the same seed gives the same rows."""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline import contract
from pipeline.demo.assumptions import (
    AGE_MIX, BAND_MIX, BAND_SESSIONS, BASELINE, BASELINE_BY_GROUP, CONDITION_MIX, CPT_MIX, DECIMALS, DROPOUT,
    DURATION_FACTOR, DURATION_MIX, DURATIONS, EFFECT, FINAL_SD_RATIO, FREQUENCY_FACTOR, ICD10_CODES, INSTRUMENTS,
    LATENT_SHARE, MID_SCORE_SHARE, MISSING, OTHER_DURATION_SHARE, OTHER_THERAPIST_SHARE, PAIN_IMMEDIATE,
    PAIN_IMMEDIATE_SD, PAIN_SUSTAINED_SINGLE, PAYER_MIX, PRE_POST_R, SECOND_EPISODE_GAP, SECOND_EPISODE_SHARE,
    SESSION_MEASURE, SEX_MIX, SINGLE_POST_SHARE, SUBSEQUENT_ENCOUNTER, TECHNIQUE_COUNT_MIX, TECHNIQUE_WEIGHT,
    WHIPLASH_AUTO_SHARE, DOTLESS_SHARE, ClinicProfile,
)

def _choice(rng: np.random.Generator, mix: dict | tuple, size: int) -> np.ndarray:
    p = np.asarray(list(mix.values()) if isinstance(mix, dict) else mix, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers, pa.int64()), pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _constant(value: str, n: int) -> pa.Array:
    return pa.array([value], pa.string()).take(pa.array(np.zeros(n, np.int32)))


def _with_nulls(values: pa.Array, missing: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(missing), pa.nulls(len(values), values.type), values)


def _technique_combos() -> tuple[list[str], np.ndarray]:
    names = contract.TECHNIQUES
    weights = np.array([TECHNIQUE_WEIGHT.get(n, 0.1) for n in names])
    combos, probs = [], []
    for size, p_size in enumerate(TECHNIQUE_COUNT_MIX, start=1):
        group = list(itertools.combinations(range(len(names)), size))
        w = np.array([weights[list(c)].prod() for c in group])
        combos += [";".join(names[i] for i in c) for c in group]
        probs += list(p_size * w / w.sum())
    return combos, np.array(probs)


def _instrument_sets(registry: dict) -> dict[str, tuple[str, ...]]:
    sets = {g: tuple(m for m in INSTRUMENTS.get(g, ()) if m in registry) for g in contract.CONDITION_GROUPS}
    used = {m for ms in sets.values() for m in ms}
    sets["other"] = sets["other"] + tuple(m for m in registry if m not in used)
    return sets


def _measure_params(group: str, code: str, m: contract.Measure) -> tuple[float, float, float, int]:
    """(baseline mean, baseline SD, reference improvement, decimals) of one instrument."""
    span = m.range_max - m.range_min
    if code in BASELINE:
        mean, sd = BASELINE_BY_GROUP.get((group, code), BASELINE[code])
        decimals = DECIMALS.get(code, 0)
    else:  # a registry instrument the demo does not know: generic, scaled to its range
        mean = m.range_min + (0.6 if m.better == "lower" else 0.4) * span
        sd, decimals = span / 8.0, 1
    effect = EFFECT.get((group, code), 0.8 * m.mcid)
    return mean, sd, effect, decimals


def _g(t: np.ndarray) -> np.ndarray:
    """Share of the course's improvement reached at fraction t of the planned sessions."""
    return (1.0 - np.exp(-2.5 * t)) / (1.0 - np.exp(-2.5))


@dataclass
class ClinicExport:
    """One clinic's export for the whole period, as Arrow tables sorted by session date."""
    sessions: pa.Table
    measurements: pa.Table
    session_month: np.ndarray  # month index of each session row
    measurement_month: np.ndarray
    first_of_patient: np.ndarray  # the session is the patient's first (session_day 0)
    session_width: int



@dataclass
class _Patients:
    group: np.ndarray  # index into contract.CONDITION_GROUPS
    code: np.ndarray  # index into code_list
    code_list: list[str]
    age: np.ndarray
    sex: np.ndarray
    payer: np.ndarray
    missing: dict[str, np.ndarray]  # age_band, sex, payer not sent
    n_eps: np.ndarray  # 1 or 2 episodes


def _patients(rng: np.random.Generator, P: int) -> _Patients:
    groups = contract.CONDITION_GROUPS
    p_group = _choice(rng, {g: CONDITION_MIX.get(g, 0.05) for g in groups}, P)
    code_list = [c for g in groups for c, _ in ICD10_CODES[g]]
    p_code = np.zeros(P, np.int64)
    offset = 0
    for gi, g in enumerate(groups):
        mask = p_group == gi
        p_code[mask] = offset + _choice(rng, tuple(w for _, w in ICD10_CODES[g]), int(mask.sum()))
        offset += len(ICD10_CODES[g])
    p_age = _choice(rng, AGE_MIX, P)
    p_sex = _choice(rng, SEX_MIX, P)
    p_payer = _choice(rng, PAYER_MIX, P)
    whiplash = np.isin(p_code, [code_list.index(c) for c in SUBSEQUENT_ENCOUNTER])
    p_payer[whiplash & (rng.random(P) < WHIPLASH_AUTO_SHARE)] = list(PAYER_MIX).index("auto")
    p_missing = {k: rng.random(P) < MISSING[k] for k in ("age_band", "sex", "payer")}
    n_eps = 1 + (rng.random(P) < SECOND_EPISODE_SHARE)
    return _Patients(p_group, p_code, code_list, p_age, p_sex, p_payer, p_missing, n_eps)


@dataclass
class _Episodes:
    pat: np.ndarray  # the episode's patient
    no: np.ndarray  # 0 for the patient's first episode, 1 for a recurrence
    band: np.ndarray  # intended band, index into contract.BAND_ORDER
    nplan: np.ndarray  # planned sessions
    dur_i: np.ndarray  # usual session length, index into DURATIONS
    dur: np.ndarray
    n_ther: int
    ther: np.ndarray
    cpt: np.ndarray
    cpt_missing: np.ndarray
    zs: np.ndarray  # severity
    zr: np.ndarray  # response (positive = better than expected)
    group: np.ndarray


def _episodes(rng: np.random.Generator, pts: _Patients, P: int) -> _Episodes:
    bands = contract.BAND_ORDER
    E = int(pts.n_eps.sum())
    ep_pat = np.repeat(np.arange(P), pts.n_eps)
    ep_no = np.arange(E) - np.repeat(np.cumsum(pts.n_eps) - pts.n_eps, pts.n_eps)
    ep_band = _choice(rng, {b: BAND_MIX[b] for b in bands}, E)
    lo = np.array([BAND_SESSIONS[b][0] for b in bands])[ep_band]
    hi = np.array([BAND_SESSIONS[b][1] for b in bands])[ep_band]
    ep_nplan = rng.integers(lo, hi + 1)
    ep_dur_i = _choice(rng, DURATION_MIX, E)
    ep_dur = np.array(DURATIONS)[ep_dur_i]
    n_ther = int(min(12, 3 + P // 150))
    ep_ther = rng.integers(1, n_ther + 1, E)
    ep_cpt = _choice(rng, CPT_MIX, E)
    ep_cpt_missing = rng.random(E) < MISSING["cpt_code"]
    ep_zs = rng.standard_normal(E)
    ep_zr = rng.standard_normal(E)
    return _Episodes(ep_pat, ep_no, ep_band, ep_nplan, ep_dur_i, ep_dur, n_ther, ep_ther, ep_cpt,
                     ep_cpt_missing, ep_zs, ep_zr, pts.group[ep_pat])


@dataclass
class _Plan:
    """The planned sessions of every episode: intervals by band, jittered."""
    s_ep: np.ndarray  # the session's episode
    s_k: np.ndarray  # its number within the episode (0 = first)
    ep_first: np.ndarray  # index of each episode's first planned session
    s_off: np.ndarray  # days from the episode's first session
    ep_span: np.ndarray  # planned days from first to last session


def _plan(rng: np.random.Generator, eps: _Episodes) -> _Plan:
    S = int(eps.nplan.sum())
    E = len(eps.nplan)
    s_ep = np.repeat(np.arange(E), eps.nplan)
    ep_first = np.cumsum(eps.nplan) - eps.nplan
    s_k = np.arange(S) - ep_first[s_ep]
    s_band = eps.band[s_ep]
    iv = np.zeros(S, np.int64)
    for b, band in enumerate(contract.BAND_ORDER):
        m = (s_band == b) & (s_k > 0)
        n = int(m.sum())
        if band == "twice_weekly":
            iv[m] = rng.choice([2, 3, 4, 5], size=n, p=[1 / 6, 2 / 6, 2 / 6, 1 / 6])
        elif band == "weekly":
            iv[m] = 7 + rng.integers(-2, 3, n) + 7 * (rng.random(n) < 0.07)
        elif band == "fortnightly":
            iv[m] = 14 + rng.integers(-3, 4, n) + 14 * (rng.random(n) < 0.04)
        elif band == "monthly":
            iv[m] = 28 + rng.integers(-5, 8, n)
    cum = np.cumsum(iv)
    s_off = cum - cum[ep_first[s_ep]]
    return _Plan(s_ep, s_k, ep_first, s_off, s_off[ep_first + eps.nplan - 1])


@dataclass
class _Timeline:
    """Each patient's place in the export window and the planned sessions that fall in it."""
    p_start: np.ndarray  # day of the patient's first session
    p_num: np.ndarray  # patient numbers in order of first visit
    s_day: np.ndarray  # day of each planned session
    order: np.ndarray  # the kept planned sessions, sorted as the export lists them


def _timeline(rng: np.random.Generator, pts: _Patients, eps: _Episodes, plan: _Plan, window_days: int) -> _Timeline:
    E, P = len(eps.pat), len(pts.n_eps)
    gap = rng.integers(SECOND_EPISODE_GAP[0], SECOND_EPISODE_GAP[1] + 1, E)
    ep_rel = np.zeros(E, np.int64)
    second = np.flatnonzero(eps.no > 0)
    ep_rel[second] = ep_rel[second - 1] + plan.ep_span[second - 1] + gap[second]
    p_last_ep = np.cumsum(pts.n_eps) - 1
    p_total = ep_rel[p_last_ep] + plan.ep_span[p_last_ep]
    slack = np.maximum(window_days - 1 - p_total, 0)
    p_start = np.floor(rng.random(P) * (slack + 1)).astype(np.int64)
    p_num = np.empty(P, np.int64)
    p_num[np.lexsort((rng.random(P), p_start))] = np.arange(1, P + 1)
    s_ep = plan.s_ep
    s_day = p_start[eps.pat[s_ep]] + ep_rel[s_ep] + plan.s_off
    kept = np.flatnonzero(s_day < window_days)  # the export period ends: later visits not yet
    order = kept[np.lexsort((plan.s_k[kept], s_ep[kept], p_num[eps.pat[s_ep[kept]]], s_day[kept]))]
    return _Timeline(p_start, p_num, s_day, order)


@dataclass
class _Draws:
    """Per-session random draws, made on the planned sessions (stable under truncation)."""
    sub_ther: np.ndarray
    ther_alt: np.ndarray
    other_dur: np.ndarray
    dur_alt: np.ndarray
    combos: list[str]
    combo: np.ndarray
    tech_missing: np.ndarray
    ther_missing: np.ndarray
    dotless: np.ndarray
    e_pain: np.ndarray
    u_pain: np.ndarray


def _draws(rng: np.random.Generator, S: int, n_ther: int) -> _Draws:
    sub_ther = rng.random(S) < OTHER_THERAPIST_SHARE
    ther_alt = rng.integers(1, n_ther + 1, S)
    other_dur = rng.random(S) < OTHER_DURATION_SHARE
    dur_alt = np.array(DURATIONS)[rng.integers(0, len(DURATIONS), S)]
    combos, combo_p = _technique_combos()
    combo = rng.choice(len(combos), size=S, p=combo_p)
    tech_missing = rng.random(S) < MISSING["techniques"]
    ther_missing = rng.random(S) < MISSING["therapist_id"]
    dotless = rng.random(S) < DOTLESS_SHARE
    e_pain = rng.standard_normal(S) * 0.7
    u_pain = rng.standard_normal(S) * 0.5
    return _Draws(sub_ther, ther_alt, other_dur, dur_alt, combos, combo, tech_missing, ther_missing, dotless,
                  e_pain, u_pain)


@dataclass
class _Kept:
    """The kept sessions in export order, and where each episode's first, middle and last are."""
    ep: np.ndarray
    k: np.ndarray
    day: np.ndarray
    pat: np.ndarray
    pos: np.ndarray
    ep_nret: np.ndarray  # sessions of the episode inside the window
    first_idx: np.ndarray
    last_idx: np.ndarray
    mid_idx: np.ndarray
    nplan: np.ndarray
    t_pre: np.ndarray  # fraction of the planned course at the session
    t_post: np.ndarray


def _kept(eps: _Episodes, plan: _Plan, tl: _Timeline) -> _Kept:
    E = len(eps.pat)
    order = tl.order
    ss_ep, ss_k, ss_day = plan.s_ep[order], plan.s_k[order], tl.s_day[order]
    N = len(order)
    pos = np.arange(N)
    ep_nret = np.bincount(ss_ep, minlength=E)
    first_idx = np.full(E, -1)
    first_idx[ss_ep[ss_k == 0]] = pos[ss_k == 0]
    last_idx = np.full(E, -1)
    is_last = ss_k == ep_nret[ss_ep] - 1
    last_idx[ss_ep[is_last]] = pos[is_last]
    mid_idx = np.full(E, -1)
    is_mid = (ss_k == (ep_nret[ss_ep] - 1) // 2) & (ep_nret[ss_ep] >= 4)
    mid_idx[ss_ep[is_mid]] = pos[is_mid]
    nplan_s = eps.nplan[ss_ep]
    t_pre = np.where(nplan_s > 1, ss_k / np.maximum(nplan_s - 1, 1), 0.0)
    t_post = np.where(nplan_s > 1, t_pre, 1.0)
    return _Kept(ss_ep, ss_k, ss_day, eps.pat[ss_ep], pos, ep_nret, first_idx, last_idx, mid_idx, nplan_s,
                 t_pre, t_post)


@dataclass
class _Outcomes:
    """One (baseline, improvement) per episode and instrument ("pair"), as badness: higher = worse."""
    ep: np.ndarray  # the pair's episode
    m: np.ndarray  # its measure, index into the registry
    dec: np.ndarray
    sign: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    is_pain: np.ndarray
    pain_code: int
    bad_base: np.ndarray
    gain: np.ndarray
    relief: np.ndarray
    noise: np.ndarray


def _pairs(eps: _Episodes, kept: _Kept, registry: dict) -> list[np.ndarray]:
    codes_reg = list(registry)
    sets = _instrument_sets(registry)
    pr_ep, pr_m, pr_mean, pr_sd, pr_eff, pr_dec = [], [], [], [], [], []
    live = kept.ep_nret > 0
    for gi, g in enumerate(contract.CONDITION_GROUPS):
        ep_ids = np.flatnonzero(live & (eps.group == gi))
        for code in sets[g]:
            mean, sd, eff, dec = _measure_params(g, code, registry[code])
            pr_ep.append(ep_ids)
            pr_m.append(np.full(len(ep_ids), codes_reg.index(code)))
            for lst, v in ((pr_mean, mean), (pr_sd, sd), (pr_eff, eff), (pr_dec, dec)):
                lst.append(np.full(len(ep_ids), v))
    return [np.concatenate(a) for a in (pr_ep, pr_m, pr_mean, pr_sd, pr_eff, pr_dec)]


def _outcome_model(rng: np.random.Generator, eps: _Episodes, kept: _Kept, registry: dict,
                   clinic_mult: float) -> _Outcomes:
    codes_reg = list(registry)
    bands = contract.BAND_ORDER
    pr_ep, pr_m, pr_mean, pr_sd, pr_eff, pr_dec = _pairs(eps, kept, registry)
    M = len(pr_ep)
    sign = np.array([1.0 if registry[c].better == "lower" else -1.0 for c in codes_reg])[pr_m]
    lo_v = np.array([registry[c].range_min for c in codes_reg])[pr_m]
    hi_v = np.array([registry[c].range_max for c in codes_reg])[pr_m]
    pain_code = codes_reg.index(SESSION_MEASURE) if SESSION_MEASURE in registry else -1
    is_pain = pr_m == pain_code
    band_name = np.array(bands)[eps.band[pr_ep]]
    ffac = np.array([FREQUENCY_FACTOR[b] for b in bands])[eps.band[pr_ep]]
    dfac = np.array([DURATION_FACTOR[d] for d in DURATIONS])[eps.dur_i[pr_ep]]
    pain_ffac = np.where(band_name == contract.SINGLE_SESSION, PAIN_SUSTAINED_SINGLE, ffac)
    immediate = PAIN_IMMEDIATE[0] + PAIN_IMMEDIATE[1] * dfac
    target = np.where(is_pain, immediate + pr_eff * pain_ffac * dfac * clinic_mult,
                      pr_eff * ffac * dfac * clinic_mult)
    a, b_ = LATENT_SHARE, np.sqrt(1 - LATENT_SHARE ** 2)
    z1 = a * eps.zs[pr_ep] + b_ * rng.standard_normal(M)
    z2 = a * eps.zr[pr_ep] + b_ * rng.standard_normal(M)
    r, k = PRE_POST_R, FINAL_SD_RATIO
    bad_base = sign * pr_mean + pr_sd * z1  # "badness": higher = worse, for every instrument
    bad_final = sign * pr_mean - target + r * k * pr_sd * z1 - k * np.sqrt(1 - r * r) * pr_sd * z2
    gain = bad_base - bad_final
    relief = np.maximum(immediate + PAIN_IMMEDIATE_SD * rng.standard_normal(M), 0.0)
    relief = np.where(eps.nplan[pr_ep] == 1, gain, relief)
    noise = 0.3 * pr_sd * rng.standard_normal((3, M))
    return _Outcomes(pr_ep, pr_m, pr_dec, sign, lo_v, hi_v, is_pain, pain_code, bad_base, gain, relief, noise)


def _measurement_rows(rng: np.random.Generator, out: _Outcomes, eps: _Episodes, kept: _Kept, draws: _Draws,
                      order: np.ndarray) -> tuple[np.ndarray, ...]:
    """(session position, measure, timepoint, value) of every score, sorted."""
    E = len(eps.pat)
    rows_s, rows_m, rows_t, rows_v = [], [], [], []

    def add(sess: np.ndarray, pair: np.ndarray, tp: int, bad: np.ndarray) -> None:
        dec = out.dec[pair]
        rows_s.append(sess)
        rows_m.append(out.m[pair])
        rows_t.append(np.full(len(sess), tp))
        rows_v.append(np.clip(np.round(out.sign[pair] * bad * 10 ** dec) / 10 ** dec, out.lo[pair], out.hi[pair]))

    if out.pain_code >= 0:  # pre and post at every session
        pain_pair = np.full(E, -1)
        pain_pair[out.ep[out.is_pain]] = np.flatnonzero(out.is_pain)
        pp = pain_pair[kept.ep]
        last_planned = kept.k == kept.nplan - 1
        e = np.where((kept.k == 0) | last_planned, 0.0, draws.e_pain[order])
        u = np.where(last_planned, 0.0, draws.u_pain[order])
        sustained = out.gain[pp] - out.relief[pp]
        add(kept.pos, pp, 0, out.bad_base[pp] - sustained * _g(kept.t_pre) + e)
        add(kept.pos, pp, 1, out.bad_base[pp] - sustained * _g(kept.t_post) - out.relief[pp] + e - u)

    other = np.flatnonzero(~out.is_pain)
    ep_o = out.ep[other]
    add(kept.first_idx[ep_o], other, 0, out.bad_base[other])
    p_drop = np.where(eps.zr[ep_o] < -0.5, DROPOUT[1], DROPOUT[0])
    ep_drop_u = rng.random(E)
    ep_single_u = rng.random(E)
    ep_mid_u = rng.random(E)
    nret = kept.ep_nret[ep_o]
    has_post = np.where(nret >= 2, ep_drop_u[ep_o] >= p_drop, ep_single_u[ep_o] < SINGLE_POST_SHARE)
    has_mid = (nret >= 4) & (ep_mid_u[ep_o] < MID_SCORE_SHARE)
    for sel_idx, mask, row in ((kept.last_idx, has_post, 1), (kept.mid_idx, has_mid, 2)):
        pairs = other[mask]
        sess = sel_idx[out.ep[pairs]]
        t = kept.t_post[sess]
        bad = out.bad_base[pairs] - out.gain[pairs] * _g(t) + np.where(t < 1, out.noise[row, pairs], 0.0)
        add(sess, pairs, 1, bad)

    m_sess, m_meas, m_tp, m_val = (np.concatenate(a) for a in (rows_s, rows_m, rows_t, rows_v))
    m_order = np.lexsort((m_tp, m_meas, m_sess))
    return m_sess[m_order], m_meas[m_order], m_tp[m_order], m_val[m_order]


def _condition_codes(profile: ClinicProfile, pts: _Patients, eps: _Episodes, kept: _Kept, draws: _Draws,
                     order: np.ndarray) -> pa.Array:
    code_list = pts.code_list
    vocab = sorted(set(code_list) | set(SUBSEQUENT_ENCOUNTER.values()))
    s_code = np.array([vocab.index(c) for c in code_list])[pts.code[kept.pat]]
    for first, later in SUBSEQUENT_ENCOUNTER.items():
        s_code[(s_code == vocab.index(first)) & ((kept.k > 0) | (eps.no[kept.ep] > 0))] = vocab.index(later)
    dotless = np.full(len(order), True) if profile.dotless_codes else draws.dotless[order]
    code_idx = s_code + np.where(dotless, len(vocab), 0)
    vocab += [c.replace(".", "") for c in vocab]
    return pa.array(vocab).take(pa.array(code_idx))


def _sessions_table(profile: ClinicProfile, pts: _Patients, eps: _Episodes, kept: _Kept, draws: _Draws,
                    tl: _Timeline, start: np.datetime64) -> tuple[pa.Table, pa.Array, np.ndarray, int]:
    """The sessions table, its session ids, each row's month index and the id width."""
    cid, order = profile.clinic_id, tl.order
    N, E, P = len(order), len(eps.pat), len(pts.n_eps)
    s_width = max(7, len(str(N + 1)))
    session_ids = _ids(f"{cid}-s", kept.pos + 1, s_width)
    ep_num = np.empty(E, np.int64)  # the clinic numbers episodes as they open
    ep_num[np.lexsort((np.arange(E), np.where(kept.first_idx >= 0, kept.first_idx, N + np.arange(E))))] = \
        np.arange(1, E + 1)
    dates = start + kept.day.astype("timedelta64[D]")
    month0 = start.astype("datetime64[M]").astype(np.int64)
    s_month = dates.astype("datetime64[M]").astype(np.int64) - month0
    ther = np.where(draws.sub_ther[order], draws.ther_alt[order], eps.ther[kept.ep])
    dur = np.where(draws.other_dur[order], draws.dur_alt[order], eps.dur[kept.ep])
    cols: dict[str, pa.Array] = {
        "clinic_id": _constant(cid, N),
        "patient_id": _ids(f"{cid}-p", tl.p_num[kept.pat], max(6, len(str(P)))),
        "session_id": session_ids,
    }
    if profile.episode_ids == "given":
        cols["episode_id"] = _ids(f"{cid}-e", ep_num[kept.ep], max(6, len(str(E))))
    elif profile.episode_ids == "empty":
        cols["episode_id"] = pa.nulls(N, pa.string())
    if profile.date_style == "iso":
        cols["session_date"] = pa.array(dates, pa.date32())
    else:
        cols["session_day"] = pa.array(kept.day - tl.p_start[kept.pat], pa.int32())
        cols["session_year"] = pa.array(dates.astype("datetime64[Y]").astype(np.int64) + 1970, pa.int32())
    cols["condition_code"] = _condition_codes(profile, pts, eps, kept, draws, order)
    cols["duration_min"] = pa.array(dur, pa.int32())
    cols["techniques"] = _with_nulls(pa.array(draws.combos).take(pa.array(draws.combo[order])),
                                     draws.tech_missing[order])
    cols["therapist_id"] = _with_nulls(_ids(f"{cid}-t", ther, 2), draws.ther_missing[order])
    cols["cpt_code"] = _with_nulls(pa.array(list(CPT_MIX)).take(pa.array(eps.cpt[kept.ep])), eps.cpt_missing[kept.ep])
    for name, mix, arr in (("age_band", AGE_MIX, pts.age), ("sex", SEX_MIX, pts.sex), ("payer", PAYER_MIX, pts.payer)):
        cols[name] = _with_nulls(pa.array(list(mix)).take(pa.array(arr[kept.pat])), pts.missing[name][kept.pat])
    order_cols = [c for c in contract.column_names("sessions") if c in cols]
    return pa.table({c: cols[c] for c in order_cols}), session_ids, s_month, s_width


def generate_clinic(profile: ClinicProfile, n_patients: int, seed: int, start: np.datetime64,
                    window_days: int, clinic_mult: float) -> ClinicExport:
    """Clinic ``profile``'s export of ``window_days`` days from ``start``: ``n_patients`` patients,
    true effects scaled by ``clinic_mult`` (its heterogeneity), drawn from ``(seed, index + 1)``."""
    rng = np.random.default_rng([seed, profile.index + 1])
    registry = contract.measures()
    pts = _patients(rng, n_patients)
    eps = _episodes(rng, pts, n_patients)
    plan = _plan(rng, eps)
    tl = _timeline(rng, pts, eps, plan, window_days)
    draws = _draws(rng, int(eps.nplan.sum()), eps.n_ther)
    kept = _kept(eps, plan, tl)
    outcomes = _outcome_model(rng, eps, kept, registry, clinic_mult)
    m_sess, m_meas, m_tp, m_val = _measurement_rows(rng, outcomes, eps, kept, draws, tl.order)
    sessions, session_ids, s_month, s_width = _sessions_table(profile, pts, eps, kept, draws, tl, start)
    measurements = pa.table({
        "clinic_id": _constant(profile.clinic_id, len(m_sess)),
        "session_id": session_ids.take(pa.array(m_sess)),
        "measure": pa.array(list(registry)).take(pa.array(m_meas)),
        "timepoint": pa.array(list(contract.TIMEPOINTS)).take(pa.array(m_tp)),
        "value": pa.array(m_val, pa.float64()),
    })
    first_of_patient = kept.day == tl.p_start[kept.pat]
    return ClinicExport(sessions, measurements, s_month, s_month[m_sess], first_of_patient, s_width)
