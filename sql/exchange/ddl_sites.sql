-- audit.aggregate_sites (a hub): each site's aggregates file merged, as the last merge left it.
-- exported_at (the site's export, UTC) and settings (the analysis settings its aggregates were built
-- with, JSON) come from its manifest; columns added later are also in ddl_sites_add_*.sql.
create table if not exists audit.aggregate_sites (
    site_id varchar not null, file_name varchar not null, file_sha256 varchar not null,
    format_version varchar not null, registry_sha256 varchar not null, code_version varchar,
    git_commit varchar, package_version varchar, clinics varchar[] not null, batches varchar[] not null,
    run_id varchar not null, merged_at timestamp not null, manifest json not null,
    exported_at timestamp, settings json
)
