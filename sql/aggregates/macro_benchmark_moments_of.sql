-- benchmark_moments_of(clinic_list, bands): the rows of agg.benchmark_moments of the clinics in
-- clinic_list (null: of every clinic): what the case-mix models need from a clinic's outcomes, as
-- sums over its episodes, per clinic x measure x condition group: the entries of the cross-product
-- matrix Z'Z of the terms intercept, baseline, 'age_band=<band>', 'sex=<sex>', 'payer=<payer>'
-- ('unknown' when missing) and improvement (every pair once, squares included), and the
-- responders' sums over intercept, those indicator terms and 'baseline_band=<part>' (Z'r). value
-- is the exact integer sum of the product of the two terms' values, baseline and improvement as
-- integers of 1e-9 points (scaled), indicators and responder as 0/1: a pair with k of
-- baseline/improvement is in units of 1e-9^k. No row per episode: the least-squares model and each
-- clinic's observed - expected follow from these sums (pipeline/marts/ benchmark_model_fit.py);
-- the responder model adds agg.case_mix_counts. Input: intermediate.int_episode_outcomes,
-- ref.measures (the scale's range); bands parts.
create or replace temp macro benchmark_moments_of(clinic_list, bands) as table
with episodes as (
    select
        o.clinic_id,
        o.measure,
        o.condition_group,
        'age_band=' || coalesce(o.age_band, 'unknown') as age_term,
        'sex=' || coalesce(o.sex, 'unknown') as sex_term,
        'payer=' || coalesce(o.payer, 'unknown') as payer_term,
        'baseline_band=' || baseline_band(o.baseline, m.range_min, m.range_max, bands) as band_term,
        scaled(o.baseline) as b,
        scaled(o.improvement) as d,
        o.responder::hugeint as r
    from intermediate.int_episode_outcomes as o
    inner join ref.measures as m on o.measure = m.code
    where (clinic_list is null or list_contains(clinic_list, o.clinic_id))
),

groups as (
    select
        clinic_id, measure, condition_group, age_term, sex_term, payer_term, band_term,
        count(*)::hugeint as n,
        sum(b) as sb,
        sum(b * b) as sbb,
        sum(d) as sd,
        sum(b * d) as sbd,
        sum(d * d) as sdd,
        sum(r) as sr
    from episodes
    group by all
),

entries as (
    select
        clinic_id, measure, condition_group,
        unnest([
            {'a': 'intercept', 'b': 'intercept', 'v': n},
            {'a': 'intercept', 'b': age_term, 'v': n},
            {'a': 'intercept', 'b': sex_term, 'v': n},
            {'a': 'intercept', 'b': payer_term, 'v': n},
            {'a': age_term, 'b': age_term, 'v': n},
            {'a': age_term, 'b': sex_term, 'v': n},
            {'a': age_term, 'b': payer_term, 'v': n},
            {'a': sex_term, 'b': sex_term, 'v': n},
            {'a': sex_term, 'b': payer_term, 'v': n},
            {'a': payer_term, 'b': payer_term, 'v': n},
            {'a': 'intercept', 'b': 'baseline', 'v': sb},
            {'a': age_term, 'b': 'baseline', 'v': sb},
            {'a': sex_term, 'b': 'baseline', 'v': sb},
            {'a': payer_term, 'b': 'baseline', 'v': sb},
            {'a': 'intercept', 'b': 'improvement', 'v': sd},
            {'a': age_term, 'b': 'improvement', 'v': sd},
            {'a': sex_term, 'b': 'improvement', 'v': sd},
            {'a': payer_term, 'b': 'improvement', 'v': sd},
            {'a': 'baseline', 'b': 'baseline', 'v': sbb},
            {'a': 'baseline', 'b': 'improvement', 'v': sbd},
            {'a': 'improvement', 'b': 'improvement', 'v': sdd},
            {'a': 'intercept', 'b': 'responder', 'v': sr},
            {'a': age_term, 'b': 'responder', 'v': sr},
            {'a': sex_term, 'b': 'responder', 'v': sr},
            {'a': payer_term, 'b': 'responder', 'v': sr},
            {'a': band_term, 'b': 'responder', 'v': sr}
        ]) as e
    from groups
)

select
    clinic_id, measure, condition_group,
    e.a as term_a,
    e.b as term_b,
    sum(e.v) as value
from entries
group by all
