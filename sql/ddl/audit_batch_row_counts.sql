-- audit.batch_row_counts: the one place the rows of each accepted batch are counted, per table: received
-- (raw), staged and quarantined. The nothing-lost checks (audit/reconciliation, the split record of
-- audit/checks_insert_split) and the counts of audit.batches (audit/batch_counts) all read it.
create or replace view audit.batch_row_counts as
with raw_rows as (
    select 'sessions' as table_name, _batch_id as batch_id, count(*) as n from raw.sessions group by all
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
)

select
    b.batch_id, t.table_name,
    coalesce(r.n, 0) as rows_raw, coalesce(s.n, 0) as rows_staged, coalesce(q.n, 0) as rows_quarantined
from audit.batches as b
cross join (values ('sessions'), ('measurements')) as t (table_name)
left join raw_rows as r on r.batch_id = b.batch_id and r.table_name = t.table_name
left join staged as s on s.batch_id = b.batch_id and s.table_name = t.table_name
left join quarantined as q on q.batch_id = b.batch_id and q.table_name = t.table_name
where b.status = 'accepted'
