-- audit.batch_files: each file of a received batch, its format, row count and checksum.
create table if not exists audit.batch_files (
    batch_id varchar not null, sha256 varchar not null, table_name varchar not null,
    file_name varchar not null, format varchar not null, rows bigint, file_sha256 varchar not null
)
