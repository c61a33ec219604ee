-- The clinic a batch without a manifest comes from: its most frequent clinic_id.
select mode(clinic_id) from raw.sessions where _batch_id = $batch_id
