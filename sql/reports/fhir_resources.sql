-- What became of the resources of every accepted FHIR Bulk Data batch, per type, outcome and reason
-- (audit.fhir_resources), for the data-quality page.
select f.batch_id, b.clinic_id, f.resource_type, f.outcome, f.reason, f.resources
from audit.fhir_resources as f
join audit.batches as b on b.batch_id = f.batch_id and b.status = 'accepted'
order by f.batch_id, f.resource_type, f.outcome, f.reason nulls first
