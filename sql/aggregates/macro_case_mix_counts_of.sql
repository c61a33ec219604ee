-- case_mix_counts_of(clinic_list, bands): the rows of agg.case_mix_counts of the clinics in
-- clinic_list (null: of every clinic): the episodes with a baseline and a final score, counted per
-- clinic x measure x condition group x age band x sex x payer ('unknown' when missing) x baseline
-- band (baseline_band: bands equal parts of the measure's scale). No outcome: with the responders'
-- sums of agg.benchmark_moments these counts are what the responder model is fitted on, and each
-- clinic's expected responders are its counts times the model's probabilities. Input:
-- intermediate.int_episode_outcomes, ref.measures (the scale's range).
create or replace temp macro case_mix_counts_of(clinic_list, bands) as table
select
    o.clinic_id,
    o.measure,
    o.condition_group,
    coalesce(o.age_band, 'unknown') as age_band,
    coalesce(o.sex, 'unknown') as sex,
    coalesce(o.payer, 'unknown') as payer,
    baseline_band(o.baseline, m.range_min, m.range_max, bands) as baseline_band,
    count(*) as n
from intermediate.int_episode_outcomes as o
inner join ref.measures as m on o.measure = m.code
where (clinic_list is null or list_contains(clinic_list, o.clinic_id))
group by all
