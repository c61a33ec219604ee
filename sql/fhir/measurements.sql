-- The scores of a FHIR batch (contract section 1), one row per mapped Observation in file order: 'pre' at or
-- before the massage Procedure's start, 'post' at or after its end, 'during' in between (quarantined by the
-- timepoint rule); without procedure times the first of the encounter's scores of a measure is 'pre' and the
-- later ones 'post'. The session and clinic are those of the session row of the encounter.
create or replace temp table fhir_measurements as
with scored as (
    select o._line, o.enc_id, o.effective, o.p_start, o.p_end, o.value, l.measure,
           case when o.p_start is not null and o.p_end is not null then null
                else row_number() over (partition by o.enc_id, l.measure order by o.effective nulls last, o._line) end as nth
    from fhir_observations as o
    join fhir_loinc as l on l.loinc = o.loinc
    where o.reason is null
),

sessions as (
    select id, arg_min(clinic_id, _line) as clinic_id, arg_min(session_id, _line) as session_id
    from fhir_sessions group by id
)

select s._line, x.clinic_id, x.session_id, s.measure,
       case when s.nth = 1 then 'pre'
            when s.nth > 1 then 'post'
            when s.effective is null then null
            when s.effective <= s.p_start then 'pre'
            when s.effective >= s.p_end then 'post'
            else 'during' end as timepoint,
       s.value
from scored as s
join sessions as x on x.id = s.enc_id
