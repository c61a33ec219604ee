-- Quarantined sessions rows grouped by reason: how many, and the first data row numbers.
with reasons as (
    select unnest(reasons) as reason, _row_number from quarantine.sessions
)
select reason, count(*) as n, list_slice(list(_row_number order by _row_number), 1, $first_rows) as first_rows
from reasons
group by reason
order by n desc, reason
