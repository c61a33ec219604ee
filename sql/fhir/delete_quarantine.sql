-- Remove an earlier delivery of a FHIR batch from quarantine.fhir_resources (a re-export replaces it).
delete from quarantine.fhir_resources where _batch_id = $batch_id
