-- Quarantined rows per batch and table: the warehouse's own and (a hub) the merged sites'
-- (audit.site_quarantine_*, empty on a site: there this is its own count, which its aggregates export).
with own as (
    select _batch_id as batch_id, 'sessions' as table_name, count(*) as rows
    from quarantine.sessions
    group by _batch_id
    union all
    select _batch_id, 'measurements', count(*)
    from quarantine.measurements
    group by _batch_id
),

sites as (
    select batch_id, table_name, sum(rows)::bigint as rows
    from audit.site_quarantine_rows
    group by batch_id, table_name
)

select * from own
union all
select * from sites
order by batch_id, table_name desc
