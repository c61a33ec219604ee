-- Per accepted batch and table that has been split: rows received (raw) against rows staged
-- plus quarantined. A table counts as split once its split record ($suite) is in audit.checks,
-- so the sessions check sees a new batch before its measurements are staged.
with raw_rows as (
    select 'sessions' as table_name, _batch_id as batch_id, count(*) as rows_raw from raw.sessions group by all
    union all
    select 'measurements', _batch_id, count(*) from raw.measurements group by all
),
staged as (
    select 'sessions' as table_name, _batch_id as batch_id, count(*) as n from staging.sessions group by all
    union all
    select 'measurements', _batch_id, count(*) from staging.measurements group by all
),
quarantined as (
    select 'sessions' as table_name, _batch_id as batch_id, count(*) as n from quarantine.sessions group by all
    union all
    select 'measurements', _batch_id, count(*) from quarantine.measurements group by all
),
split as (
    select distinct batch_id, table_name from audit.checks where suite = $suite
)
select
    r.batch_id, r.table_name, r.rows_raw,
    coalesce(s.n, 0) as rows_staged,
    coalesce(q.n, 0) as rows_quarantined
from raw_rows as r
join audit.batches as b on b.batch_id = r.batch_id and b.status = 'accepted'
left join split as sp on sp.batch_id = r.batch_id and sp.table_name = r.table_name
left join staged as s on s.table_name = r.table_name and s.batch_id = r.batch_id
left join quarantined as q on q.table_name = r.table_name and q.batch_id = r.batch_id
where b.rows_staged is not null or sp.batch_id is not null
order by r.batch_id, r.table_name
