-- The first copy, in delivery order, of each score (clinic, session, measure, timepoint) received more
-- than once in the pending batches: one hash aggregate over the keys. A table of its own (as small as the
-- duplicates are few) so that the rules' join knows its true size and builds on it.
create or replace temp table repeated_measurements as
select c_clinic_id as k_clinic_id, c_session_id as k_session_id, c_measure as k_measure,
       c_timepoint as k_timepoint, min((_loaded_at, _batch_id, _row_number)) as first_copy
from typed_measurements($batch_ids)
group by all
having count(*) > 1
