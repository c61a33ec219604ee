-- intermediate.int_episode_measures: per episode and measure with at least one score, the
-- number of scores, the baseline (the first 'pre' score) and the final score (the last 'post'
-- after the baseline, else the last score of any timepoint after it). Scores are ordered by
-- day, then session id, then pre before post.
create or replace table intermediate.int_episode_measures as
with scores as (
    select
        es.clinic_id, es.patient_id, es.episode_id, m.measure, m.timepoint, m.value,
        row_number() over (
            partition by es.clinic_id, es.patient_id, es.episode_id, m.measure
            order by es.day_number, es.session_id, case m.timepoint when 'pre' then 0 else 1 end
        ) as seq
    from staging.measurements as m
    join intermediate.int_episode_sessions as es using (clinic_id, session_id)
),

baseline as (
    select
        clinic_id, patient_id, episode_id, measure,
        count(*) as scores,
        min(seq) filter (where timepoint = 'pre') as baseline_seq
    from scores
    group by all
),

paired as (
    select
        s.clinic_id, s.patient_id, s.episode_id, s.measure,
        any_value(b.scores) as scores,
        max_by(s.value, s.seq) filter (where s.seq = b.baseline_seq) as baseline,
        max_by(s.value, s.seq) filter (where s.seq > b.baseline_seq and s.timepoint = 'post') as last_post,
        max_by(s.value, s.seq) filter (where s.seq > b.baseline_seq) as last_any
    from scores as s
    join baseline as b using (clinic_id, patient_id, episode_id, measure)
    group by s.clinic_id, s.patient_id, s.episode_id, s.measure
)

select
    clinic_id, patient_id, episode_id, measure, scores, baseline,
    coalesce(last_post, last_any) as final
from paired
