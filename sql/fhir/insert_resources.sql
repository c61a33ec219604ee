-- Record what became of the resources of an accepted FHIR batch (inside the batch's transaction).
insert into audit.fhir_resources
select $batch_id, resource_type, outcome, reason, resources from fhir_outcomes
