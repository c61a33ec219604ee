-- Every Encounter line of a FHIR batch and its outcome: a session ('mapped') when it is finished and a
-- completed massage Procedure points to it; else out of scope with the reason. With the massage procedures'
-- combined period (earliest start, latest end), the CPT code of the first of them that has one, and the
-- fields the session mapping reads (sql/fhir/sessions.sql).
create or replace temp table fhir_encounters as
with massage as (
    select enc_id, min(p_start) as p_start, max(p_end) as p_end, arg_min(cpt, _line) filter (where cpt is not null) as cpt
    from fhir_procedures
    where candidate and enc_id is not null
    group by enc_id
)

select e.rowid + 1 as _line, e.id, e.status, e.subject.reference as patient_ref,
       e.serviceProvider.reference as org_ref, e.episodeOfCare[1].reference as episode_ref,
       list_filter(e.participant, lambda x: x.individual.reference like 'Practitioner%'
                   or x.individual.reference like '%/Practitioner/%'
                   or x.individual.reference like 'urn:%')[1].individual.reference as prac_ref,
       e.reasonCode[1].coding as reason_coding, e.reasonReference[1].reference as condition_ref,
       e.period."start" as period_start, e.period."end" as period_end, m.p_start, m.p_end, m.cpt,
       case when e.resourceType is distinct from 'Encounter' then 'its resourceType is not the manifest''s type'  -- noqa: PRS
            when e.status = 'entered-in-error' then 'entered-in-error'
            when m.enc_id is null then 'no massage procedure points to it'
            when e.status is distinct from 'finished' then 'not finished' end as reason
from fhir_encounter_lines as e
left join massage as m on m.enc_id = e.id and e.resourceType = 'Encounter'
