-- episode_sessions_of(clinic_list, gap_limit): the rows of intermediate.int_episode_sessions of the
-- clinics in clinic_list, each session with its episode of care. The clinic's episode_id where
-- given; otherwise, per patient and condition group, a new episode starts when more than
-- gap_limit days pass between two sessions (contract section 3). An episode never crosses
-- clinics and its id is numbered within its patient and condition group, so a clinic's rows
-- depend only on that clinic's sessions: the full build passes every clinic, an incremental one
-- the clinics whose staged rows changed (pipeline/intermediate.py).
-- Only the columns the later models use: writing the table is most of its cost (int_sessions,
-- a view, has every column, with the batch each session came from).
-- sessions is read twice (given, gaps) and marked not materialized: DuckDB materializes a CTE
-- read more than once, and copying then re-reading 10M sessions cost more than reading them twice
-- (this statement alone, written to a temporary table: 43.5 s wall, 86 CPU s -> 15.7 s, 31 CPU s
-- at 10M, together with int_sessions.sql's).
create or replace temp macro episode_sessions_of(clinic_list, gap_limit) as table
with sessions as not materialized (
    select
        clinic_id, patient_id, session_id, episode_id, condition_group, day_number,
        session_date, session_year, duration_min, age_band, sex, payer
    from intermediate.int_sessions
    where list_contains(clinic_list, clinic_id)
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
        'derived-' || condition_group || '-' || sum(case when gap_days is null or gap_days > gap_limit then 1 else 0 end) over (
            partition by clinic_id, patient_id, condition_group
            order by day_number, session_id
            rows between unbounded preceding and current row
        ) as episode_id
    from gaps
)

select * from given
union all by name
select * from derived
