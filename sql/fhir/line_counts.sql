-- Per file of a FHIR batch: its resource lines (blank lines skipped), the lines that are not a JSON resource
-- (no resourceType: not JSON, or JSON that is no resource) and the first of them, counted among the lines.
with lines as (
    select _file, resourceType, rowid as r from fhir_patient_lines
    union all select _file, resourceType, rowid from fhir_encounter_lines
    union all select _file, resourceType, rowid from fhir_procedure_lines
    union all select _file, resourceType, rowid from fhir_observation_lines
    union all select _file, resourceType, rowid from fhir_condition_lines
    union all select _file, resourceType, rowid from fhir_organization_lines
    union all select _file, resourceType, rowid from fhir_practitioner_lines
    union all select _file, resourceType, rowid from fhir_other_lines
)

select _file, count(*) as lines, count(*) filter (where resourceType is null) as not_json,
       min(r) filter (where resourceType is null) - min(r) + 1 as first_bad_line
from lines
group by _file
