-- intermediate.int_episode_measures: per episode and measure with at least one score, the
-- number of scores, the baseline (the first 'pre' score) and the final score (the last 'post'
-- after the baseline, else the last score of any timepoint after it). Scores are ordered by
-- day, then session id, then pre before post: each score is the struct {day, session, post,
-- value}, ordered by those fields in turn, so min/max of the structs pick the first or last
-- score with its value. One aggregation: the last post (or last score) is after the baseline
-- exactly when the episode's last post (or last score) is, so no second pass is needed.
-- Episodes never cross clinics: the clinics in $clinics are added at a time (pipeline/intermediate.py
-- splits the network into chunks of whole clinics, so the aggregation's memory stays bounded).
insert into intermediate.int_episode_measures
with scores as (
    select
        es.clinic_id, es.patient_id, es.episode_id, m.measure, m.timepoint,
        {'day': es.day_number, 'session': es.session_id, 'post': m.timepoint <> 'pre', 'value': m.value} as s
    from staging.measurements as m
    join intermediate.int_episode_sessions as es using (clinic_id, session_id)
    where list_contains($clinics, m.clinic_id) and list_contains($clinics, es.clinic_id)
),

series as (
    select
        clinic_id, patient_id, episode_id, measure,
        count(*) as scores,
        min(s) filter (where timepoint = 'pre') as first_pre,
        max(s) filter (where timepoint = 'post') as last_post,
        max(s) as last_score
    from scores
    group by clinic_id, patient_id, episode_id, measure
)

select
    clinic_id, patient_id, episode_id, measure, scores, first_pre.value as baseline,
    case
        when last_post > first_pre then last_post.value
        when last_score > first_pre then last_score.value
    end as final
from series
