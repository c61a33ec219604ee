-- audit.fhir_anchors: per FHIR patient pseudonym, the day of the first massage encounter in the network's
-- data, shifted by a keyed offset (days since 1970 + an offset derived from the network key), so that
-- session_day of later batches counts from it while no date is stored (FHIR batches are Safe Harbor).
create table if not exists audit.fhir_anchors (patient_id varchar not null, anchor_keyed integer not null)
