-- episodes_of(clinic_list, twice_weekly_min, weekly_min, fortnightly_min): the rows of
-- intermediate.int_episodes of the clinics in clinic_list (from their rows of
-- intermediate.int_episode_sessions): one row per episode of care, with its measured frequency.
-- sessions_per_week = (sessions - 1) / (span_days / 7) when the sessions fall on more than one
-- day; otherwise the episode is 'single_session'. The band limits are the macro's arguments.
create or replace temp macro episodes_of(clinic_list, twice_weekly_min, weekly_min, fortnightly_min) as table
with episode_sessions as (
    select * from intermediate.int_episode_sessions
    where list_contains(clinic_list, clinic_id)
),

episodes as (
    select
        clinic_id,
        patient_id,
        episode_id,
        arg_min(condition_group, day_number) as condition_group,
        count(*) as sessions,
        min(day_number) as first_day,
        max(day_number) - min(day_number) as span_days,
        avg(duration_min) as mean_duration_min,
        arg_min(age_band, day_number) filter (where age_band is not null) as age_band,
        arg_min(sex, day_number) filter (where sex is not null) as sex,
        arg_min(payer, day_number) filter (where payer is not null) as payer,
        min(session_date) as start_date,
        min(session_year) as start_year
    from episode_sessions
    group by clinic_id, patient_id, episode_id
),

measured as (
    select
        *,
        case when span_days > 0 then (sessions - 1) / (span_days / 7.0) end as sessions_per_week
    from episodes
)

select
    *,
    case
        when sessions_per_week is null then 'single_session'
        when sessions_per_week >= twice_weekly_min then 'twice_weekly'
        when sessions_per_week >= weekly_min then 'weekly'
        when sessions_per_week >= fortnightly_min then 'fortnightly'
        else 'monthly'
    end as frequency_band
from measured
