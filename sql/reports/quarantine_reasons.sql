-- Quarantined rows per batch, table and reason: the warehouse's own and (a hub) the merged sites'
-- (audit.site_quarantine_*, empty on a site: there this is its own count, which its aggregates export).
with reasons as (
    select _batch_id as batch_id, 'sessions' as table_name, unnest(reasons) as reason
    from quarantine.sessions
    union all
    select _batch_id, 'measurements', unnest(reasons)
    from quarantine.measurements
),

own as (
    select batch_id, table_name, reason, count(*) as rows
    from reasons
    group by batch_id, table_name, reason
),

sites as (
    select batch_id, table_name, reason, sum(rows)::bigint as rows
    from audit.site_quarantine_reasons
    group by batch_id, table_name, reason
)

select * from own
union all
select * from sites
order by batch_id, table_name desc, "rows" desc, reason
