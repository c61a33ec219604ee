-- What became of each FHIR Bulk Data resource, counted per batch, type, outcome and reason.
select batch_id, resource_type, outcome, reason, resources
from audit.fhir_resources
order by batch_id, resource_type, outcome, reason nulls first
