-- The FHIR resources of a batch from which no row could be made (a broken reference), for
-- quarantine.fhir_resources: type, keyed pseudonym of the id, reason code, line among the type's lines.
create or replace temp table fhir_quarantine as
select 'Procedure' as resource_type, fhir_pseudonym('Procedure/' || id) as resource_id, [reason] as reasons,
       _line as _row_number
from fhir_procedures where reason like 'fhir_%'
union all
select 'Observation', fhir_pseudonym('Observation/' || id), [reason], _line
from fhir_observations where reason like 'fhir_%'
