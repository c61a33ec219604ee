-- intermediate.int_episode_sessions: each session with its episode of care. The clinic's
-- episode_id where given; otherwise, per patient and condition group, a new episode starts
-- when more than $gap_days days pass between two sessions (contract section 3).
-- Only the columns the later models use: writing this table is most of its cost (int_sessions,
-- a view, has every column, with the batch each session came from).
create or replace table intermediate.int_episode_sessions as
with sessions as (
    select
        clinic_id, patient_id, session_id, episode_id, condition_group, day_number,
        session_date, session_year, duration_min, age_band, sex, payer
    from intermediate.int_sessions
),

given as (
    select * from sessions where episode_id is not null
),

gaps as (
    select
        *,
        day_number - lag(day_number) over (
            partition by clinic_id, patient_id, condition_group order by day_number, session_id
        ) as gap_days
    from sessions
    where episode_id is null
),

derived as (
    select
        * exclude (episode_id, gap_days),
        'derived-' || condition_group || '-' || sum(case when gap_days is null or gap_days > $gap_days then 1 else 0 end) over (
            partition by clinic_id, patient_id, condition_group
            order by day_number, session_id
            rows between unbounded preceding and current row
        ) as episode_id
    from gaps
)

select * from given
union all by name
select * from derived
