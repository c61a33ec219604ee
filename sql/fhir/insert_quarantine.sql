-- Quarantine the resources of an accepted FHIR batch from which no row could be made (inside its transaction).
insert into quarantine.fhir_resources
select resource_type, resource_id, reasons, $batch_id, _row_number from fhir_quarantine
