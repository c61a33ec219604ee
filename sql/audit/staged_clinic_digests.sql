-- Per clinic, what its episodes are computed from as staged now: the rows of staging.sessions and
-- staging.measurements and a digest of each (the sum of the rows' hashes: any row added, removed
-- or changed changes it), for the incremental episode build (pipeline/intermediate.py) to
-- compare with the record of the last build (audit.episode_inputs). The sessions' digest covers
-- every column the episode tables are computed from (sql/intermediate/): a model that reads
-- another one adds it here; the build's fingerprint includes this file, so that change alone
-- rebuilds every clinic. A temporary table: the comparison and the new record both read it.
create or replace temp table staged_clinic_digests as
with sessions as (
    select
        clinic_id,
        count(*) as sessions,
        sum(hash(patient_id, session_id, episode_id, session_date, session_day, session_year, condition_code,
                 duration_min, age_band, sex, payer)) as sessions_digest
    from staging.sessions
    group by clinic_id
),

scores as (
    select
        clinic_id,
        count(*) as scores,
        sum(hash(session_id, measure, timepoint, value)) as scores_digest
    from staging.measurements
    group by clinic_id
)

select
    clinic_id,
    coalesce(s.sessions, 0) as sessions,
    coalesce(s.sessions_digest, 0) as sessions_digest,
    coalesce(m.scores, 0) as scores,
    coalesce(m.scores_digest, 0) as scores_digest
from sessions as s
full join scores as m using (clinic_id)
