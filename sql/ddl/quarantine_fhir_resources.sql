-- quarantine.fhir_resources: FHIR resources of an accepted batch from which no contract row could be made
-- (a broken reference): its type, the keyed pseudonym of its id and the reason codes only, nothing else.
create table if not exists quarantine.fhir_resources (
    resource_type varchar not null, resource_id varchar, reasons varchar[] not null,
    _batch_id varchar not null, _row_number bigint not null
)
