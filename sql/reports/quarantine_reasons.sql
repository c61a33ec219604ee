-- Quarantined rows per batch, table and reason code: counts only, never values.
with reasons as (
    select _batch_id as batch_id, 'sessions' as table_name, unnest(reasons) as reason
    from quarantine.sessions
    union all
    select _batch_id, 'measurements', unnest(reasons)
    from quarantine.measurements
)
select batch_id, table_name, reason, count(*) as rows
from reasons
group by batch_id, table_name, reason
order by batch_id, table_name desc, count(*) desc, reason
