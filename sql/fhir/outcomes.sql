-- What became of every resource of a FHIR batch, per type, outcome and reason (audit.fhir_resources): each
-- line counted once, so that per type received = mapped + out of scope + quarantined. Reasons that are codes
-- (fhir_*) are quarantine reasons of pipeline.contract.REASONS; the others are plain words.
create or replace temp table fhir_outcomes as
with used as (
    select distinct 'Patient' as rtype, patient_key as id from fhir_sessions where patient_key is not null
    union all select distinct 'Condition', condition_key from fhir_sessions where condition_key is not null
    union all select distinct 'Organization', org_id from fhir_sessions where org_id is not null
    union all select distinct 'Practitioner', prac_id from fhir_sessions where prac_id is not null
),

sessions as (select distinct id from fhir_encounters where reason is null),

classified as (
    select 'Encounter' as resource_type, case when reason is null then 'mapped' else 'out_of_scope' end as outcome,
           coalesce(reason, s.note) as reason
    from fhir_encounters as e
    left join (select id, any_value(note) as note from fhir_sessions group by id) as s
      on s.id = e.id and e.reason is null
    union all
    select 'Procedure',
           case when p.reason like 'fhir_%' then 'quarantined' when p.reason is null and s.id is not null then 'mapped'
                else 'out_of_scope' end,
           case when p.reason is null and s.id is null then 'its encounter is not a massage session' else p.reason end
    from fhir_procedures as p left join sessions as s on s.id = p.enc_id
    union all
    select 'Observation', case when reason like 'fhir_%' then 'quarantined' when reason is null then 'mapped'
                               else 'out_of_scope' end, reason
    from fhir_observations
    union all
    select 'Patient', case when u.id is not null then 'mapped' else 'out_of_scope' end,
           case when l.resourceType is distinct from 'Patient' then 'its resourceType is not the manifest''s type'  -- noqa: PRS
                when u.id is null then 'no massage session' end
    from fhir_patient_lines as l left join used as u on u.rtype = 'Patient' and u.id = l.id and l.resourceType = 'Patient'
    union all
    select 'Condition', case when u.id is not null then 'mapped' else 'out_of_scope' end,
           case when l.resourceType is distinct from 'Condition' then 'its resourceType is not the manifest''s type'  -- noqa: PRS
                when list_contains(list_transform(l.verificationStatus.coding, lambda v: v.code), 'entered-in-error')
                    then 'entered-in-error'
                when u.id is null then 'not the reason of a massage session' end
    from fhir_condition_lines as l left join used as u on u.rtype = 'Condition' and u.id = l.id and l.resourceType = 'Condition'
    union all
    select 'Organization', case when u.id is not null then 'mapped' else 'out_of_scope' end,
           case when u.id is null then 'not the service provider of a massage session' end
    from fhir_organization_lines as l left join used as u on u.rtype = 'Organization' and u.id = l.id
    union all
    select 'Practitioner', case when u.id is not null then 'mapped' else 'out_of_scope' end,
           case when u.id is null then 'not a participant of a massage session' end
    from fhir_practitioner_lines as l left join used as u on u.rtype = 'Practitioner' and u.id = l.id
    union all
    select coalesce(resourceType, 'unknown'), 'out_of_scope', 'a resource type the reader does not use'
    from fhir_other_lines
)

select resource_type, outcome, reason, count(*) as resources
from classified
group by all
order by resource_type, outcome, reason nulls first
