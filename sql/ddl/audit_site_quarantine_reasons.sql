-- audit.site_quarantine_reasons (a hub): the sites' quarantined rows per batch, table and reason (counts).
create table if not exists audit.site_quarantine_reasons (
    site_id varchar not null, batch_id varchar, table_name varchar not null, reason varchar, rows bigint not null
)
