-- The scores of a FHIR batch (contract section 1), one row per mapped Observation in file order: 'pre' at or
-- before the massage Procedure's start, 'post' at or after its end, 'during' in between (quarantined by the
-- timepoint rule); without procedure times the first of the encounter's scores of a measure is 'pre' and the
-- later ones 'post'. The session and clinic are those of the session row of the encounter; _row_number is
-- the score's place among the batch's scores in file order (raw.measurements).
create or replace temp table fhir_measurements as
with timed as (
    select o._line, o.session_line, o.effective, o.p_start, o.p_end, o.value, l.measure, null::bigint as nth
    from fhir_observations as o
    join fhir_loinc as l on l.loinc = o.loinc
    where o.reason is null and o.p_start is not null and o.p_end is not null
),

untimed as (  -- no procedure times: the order of the encounter's scores of each measure decides
    select o._line, o.session_line, o.effective, o.p_start, o.p_end, o.value, l.measure,
           row_number() over (partition by o.enc_id, l.measure order by o.effective nulls last, o._line) as nth
    from fhir_observations as o
    join fhir_loinc as l on l.loinc = o.loinc
    where o.reason is null and (o.p_start is null or o.p_end is null)
)

select s._line, x.clinic_id, x.session_id, s.measure,
       case when s.nth = 1 then 'pre'
            when s.nth > 1 then 'post'
            when s.effective is null then null
            when s.effective <= s.p_start then 'pre'
            when s.effective >= s.p_end then 'post'
            else 'during' end as timepoint,
       s.value, $batch_id as _batch_id, n._row_number
from (select * from timed union all select * from untimed) as s
join fhir_sessions as x on x._line = s.session_line
join (select o._line, l.measure, row_number() over (order by o._line, l.measure) as _row_number  -- numbered on two columns only
      from fhir_observations as o join fhir_loinc as l on l.loinc = o.loinc where o.reason is null) as n
  on n._line = s._line and n.measure = s.measure
