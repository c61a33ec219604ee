-- The first copy, in delivery order, of each session id of a clinic received more than once in
-- the pending batches: one hash aggregate over the keys. A table of its own (as small as the
-- duplicates are few) so that the rules' join knows its true size and builds on it.
create or replace temp table repeated_sessions as
select c_clinic_id as k_clinic_id, c_session_id as k_session_id, min((_loaded_at, _batch_id, _row_number)) as first_copy
from typed_sessions($batch_ids, $list_separator)
group by all
having count(*) > 1
