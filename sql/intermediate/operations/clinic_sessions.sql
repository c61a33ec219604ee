-- Staged sessions of each clinic in $clinics (from staged_clinic_digests, sql/audit), to split the
-- episode models into chunks of whole clinics.
select clinic_id, sessions
from staged_clinic_digests
where list_contains($clinics, clinic_id)
order by clinic_id
