-- Quarantined rows per batch and table (each row once, whatever its number of reasons).
select _batch_id as batch_id, 'sessions' as table_name, count(*) as rows
from quarantine.sessions
group by _batch_id
union all
select _batch_id, 'measurements', count(*)
from quarantine.measurements
group by _batch_id
order by batch_id, table_name desc
