-- episode_outcomes_of(clinic_list): the rows of intermediate.int_episode_outcomes of the clinics
-- in clinic_list: one row per episode and measure with a baseline and a final score (published as
-- the view marts.episode_outcomes; the agg tables are sums of it).
-- improvement is positive when the patient got better, in the measure's units, rounded to 9
-- decimals so that a decimal change like 6.1 - 4.1 = 1.9999999999999996 is the 2 points it is:
-- for the responder rule (improvement >= the measure's MCID, ref.measures) and for every
-- statistic of d (equal changes have an SD of exactly 0, not 1e-16, and tie in the signed-rank
-- test). age_band, sex, payer (the episode's first known value) and start_year are added to the
-- contract's columns for cohorts and risk adjustment.
create or replace temp macro episode_outcomes_of(clinic_list) as table
with episode_measures as (
    select * from intermediate.int_episode_measures
    where baseline is not null and final is not null and list_contains(clinic_list, clinic_id)
),

episodes as (
    select * from intermediate.int_episodes
    where list_contains(clinic_list, clinic_id)
),

scored as (
    select
        e.clinic_id, e.patient_id, e.episode_id, e.condition_group, e.frequency_band,
        e.sessions, e.span_days, e.sessions_per_week, e.mean_duration_min,
        e.age_band, e.sex, e.payer, e.start_year,
        em.measure, em.baseline, em.final,
        round(case r.better when 'lower' then em.baseline - em.final else em.final - em.baseline end, 9) as improvement,
        r.mcid
    from episode_measures as em
    join episodes as e using (clinic_id, patient_id, episode_id)
    join ref.measures as r on r.code = em.measure
)

select * exclude (mcid), improvement >= mcid as responder
from scored
