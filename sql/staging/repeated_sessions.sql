-- The first copy, in delivery order, of each session id of a clinic received more than once in the
-- pending batches. Two steps over the keys: the hashes of the keys seen more than once (one 64-bit group
-- key per row instead of two strings: nearly every key is distinct), then the exact keys among the few
-- rows with such a hash (the second grouping is by the keys themselves, so a shared hash is no repeat).
-- A table of its own (as small as the duplicates are few) so that the rules' join builds on it.
create or replace temp table repeated_sessions as
with keyed as not materialized (
    select c_clinic_id, c_session_id, _loaded_at, _batch_id, _row_number, hash(c_clinic_id, c_session_id) as h
    from typed_sessions($batch_ids, $list_separator)
),

twice as (
    select h from keyed group by h having count(*) > 1
)

select c_clinic_id as k_clinic_id, c_session_id as k_session_id, min((_loaded_at, _batch_id, _row_number)) as first_copy
from keyed
semi join twice on twice.h = keyed.h
group by c_clinic_id, c_session_id
having count(*) > 1
