-- audit.fhir_resources: what became of each resource of a FHIR Bulk Data batch, counted per type, outcome
-- and reason (each resource counted exactly once): 'mapped' (a row of raw.sessions / raw.measurements,
-- which the staging rules then stage or quarantine, or for Patient, Procedure, Condition, Organization and
-- Practitioner: read into such a row), 'out_of_scope' (counted, never loaded) and 'quarantined' (in
-- quarantine.fhir_resources: no row could be made). Per type: received = sum of resources.
create table if not exists audit.fhir_resources (
    batch_id varchar not null, resource_type varchar not null, outcome varchar not null,
    reason varchar, resources bigint not null
)
