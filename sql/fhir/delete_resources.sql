-- Remove an earlier delivery of a FHIR batch from audit.fhir_resources (a re-export replaces it).
delete from audit.fhir_resources where batch_id = $batch_id
