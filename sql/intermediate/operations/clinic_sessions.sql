-- Staged sessions per clinic, to split the episode models into chunks of whole clinics.
select clinic_id, count(*) as sessions
from staging.sessions
group by clinic_id
order by clinic_id
