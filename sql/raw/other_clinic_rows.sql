-- Rows of a batch whose clinic_id is not the manifest's clinic.
select (select count(*) from raw.sessions where _batch_id = $batch_id and clinic_id is distinct from $clinic_id)
     + (select count(*) from raw.measurements where _batch_id = $batch_id and clinic_id is distinct from $clinic_id)
