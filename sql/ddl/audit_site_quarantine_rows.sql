-- audit.site_quarantine_rows (a hub): the sites' quarantined rows per batch and table (each row once).
create table if not exists audit.site_quarantine_rows (
    site_id varchar not null, batch_id varchar, table_name varchar not null, rows bigint not null
)
