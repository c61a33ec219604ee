-- Does any Procedure or Observation of the batch point to its Encounter by a conditional reference? Only
-- then are the Encounters' identifiers needed to resolve references (sql/fhir/ids.sql).
select count(*) > 0
from (select encounter.reference as r from fhir_procedure_lines
      union all select encounter.reference from fhir_observation_lines)
where contains(r, '?')
