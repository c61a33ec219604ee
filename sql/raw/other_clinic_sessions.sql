-- Rows of the sessions file just parsed whose clinic_id is not the manifest's clinic.
select count(*) from received_sessions where clinic_id is distinct from $clinic_id
