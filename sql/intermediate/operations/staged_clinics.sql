-- Every clinic with staged sessions or scores (from staged_clinic_digests, sql/audit): a full
-- build of the episode layer builds them all.
select clinic_id
from staged_clinic_digests
order by clinic_id
