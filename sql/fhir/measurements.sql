-- The scores of a FHIR batch (contract section 1), one row per mapped Observation in file order: 'pre' at or
-- before the massage Procedure's start, 'post' at or after its end, 'during' in between (quarantined by the
-- timepoint rule); without procedure times the first of the encounter's scores of a measure is 'pre' and the
-- later ones 'post'. The session and clinic are those of the session row of the encounter. Written in file
-- order, so that a score's rowid + 1 is its row number in raw.measurements (sql/fhir/received_measurements.sql;
-- at 2M scores this sort costs half of a row_number() window joined back on the line and measure).
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
       s.value, $batch_id as _batch_id
from (select * from timed union all select * from untimed) as s
join fhir_sessions as x on x._line = s.session_line
order by s._line
