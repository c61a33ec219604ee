-- Every key a reference can resolve by, per resource type of the export that references name: 'id:<id>' for
-- each resource, and 'identifier=<system>|<value>' for each identifier of the types that conditional
-- references name (Encounter identifiers only when some reference to an Encounter is conditional: $encounter_identifiers;
-- Patient identifiers are never read: a conditional reference to a Patient does not resolve). A key shared
-- by two resources is ambiguous (ids > 1) and resolves to none. Procedures are never referenced.
create or replace temp table fhir_ids as
with keys as (
    select 'Patient' as rtype, 'id:' || id as key, id from fhir_patient_lines where resourceType = 'Patient'
    union all select 'Encounter', 'id:' || id, id from fhir_encounter_lines where resourceType = 'Encounter'
    union all select 'Condition', 'id:' || id, id from fhir_condition_lines where resourceType = 'Condition'
    union all select 'Organization', 'id:' || id, id from fhir_organization_lines where resourceType = 'Organization'
    union all select 'Practitioner', 'id:' || id, id from fhir_practitioner_lines where resourceType = 'Practitioner'
    union all select 'Encounter', 'identifier=' || i.system || '|' || i.value, id
        from (select id, unnest(identifier) as i from fhir_encounter_lines
              where resourceType = 'Encounter' and $encounter_identifiers)
    union all select 'Condition', 'identifier=' || i.system || '|' || i.value, id
        from (select id, unnest(identifier) as i from fhir_condition_lines where resourceType = 'Condition')
    union all select 'Organization', 'identifier=' || i.system || '|' || i.value, id
        from (select id, unnest(identifier) as i from fhir_organization_lines where resourceType = 'Organization')
    union all select 'Practitioner', 'identifier=' || i.system || '|' || i.value, id
        from (select id, unnest(identifier) as i from fhir_practitioner_lines where resourceType = 'Practitioner')
)

select rtype, key, min(id) as id, case when min(id) = max(id) then 1 else 2 end as ids
from keys
where key is not null and id is not null
group by rtype, key
