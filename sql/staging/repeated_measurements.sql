-- The first copy, in delivery order, of each score (clinic, session, measure, timepoint) received more
-- than once in the pending batches. Two steps over the keys: the hashes of the keys seen more than once
-- (one 64-bit group key per row, much cheaper than grouping by four strings: nearly every key is
-- distinct), then the exact keys among the few rows with such a hash (a hash shared by two different
-- keys is not a repeat: the second grouping is by the keys themselves). A table of its own (as small as
-- the duplicates are few) so that the rules' join knows its true size and builds on it.
create or replace temp table repeated_measurements as
with keyed as not materialized (
    select c_clinic_id, c_session_id, c_measure, c_timepoint, _loaded_at, _batch_id, _row_number,
           hash(c_clinic_id, c_session_id, c_measure, c_timepoint) as h
    from typed_measurements($batch_ids)
),

twice as (
    select h from keyed group by h having count(*) > 1
)

select c_clinic_id as k_clinic_id, c_session_id as k_session_id, c_measure as k_measure,
       c_timepoint as k_timepoint, min((_loaded_at, _batch_id, _row_number)) as first_copy
from keyed
semi join twice on twice.h = keyed.h
group by c_clinic_id, c_session_id, c_measure, c_timepoint
having count(*) > 1
