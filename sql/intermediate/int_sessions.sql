-- intermediate.int_sessions: staged sessions with their condition group (longest ICD-10-CM
-- prefix of ref.condition_groups, else 'other') and a day number that orders a patient's
-- sessions: days since 1970-01-01 for dated clinics, session_day for Safe Harbor clinics.
-- A view: it costs nothing to build and is read once per build, by macro_episode_sessions_of.sql
-- (for the clinics being built).
-- sessions is read twice (codes, and the select) and not materialized: a materialized copy of
-- every staged column cost more than the second read (macro_episode_sessions_of.sql).
create or replace view intermediate.int_sessions as
with sessions as not materialized (
    select * from staging.sessions
),

codes as (
    select distinct condition_code from sessions
),

code_groups as (
    select
        c.condition_code,
        coalesce(arg_max(g.condition_group, length(g.code_prefix)), 'other') as condition_group
    from codes as c
    left join ref.condition_groups as g on starts_with(c.condition_code, g.code_prefix)
    group by c.condition_code
)

select
    s.clinic_id, s.patient_id, s.session_id, s.episode_id, s.condition_code, g.condition_group,
    s.session_date, s.session_year,
    coalesce(date_diff('day', date '1970-01-01', s.session_date), s.session_day) as day_number,
    s.duration_min, s.techniques, s.therapist_id, s.cpt_code, s.age_band, s.sex, s.payer, s._batch_id
from sessions as s
join code_groups as g using (condition_code)
