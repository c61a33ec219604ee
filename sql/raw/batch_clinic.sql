-- The clinic a batch without a manifest comes from: the most frequent clinic_id of its sessions file.
select mode(clinic_id) from received_sessions
