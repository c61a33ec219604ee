-- Rows of the measurements file just parsed whose clinic_id is not the manifest's clinic.
select count(*) from received_measurements where clinic_id is distinct from $clinic_id
