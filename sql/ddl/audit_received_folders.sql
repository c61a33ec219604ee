-- audit.received_folders: per batch folder of the inbox, the fingerprint of its files (names, sizes,
-- modification times) when its content (sha256, as in audit.batches) was last checked whole. A folder
-- whose fingerprint is unchanged is not read again (pipeline/ingest.py); any change to a file reads
-- it whole again.
create table if not exists audit.received_folders (
    folder varchar primary key, fingerprint varchar not null, sha256 varchar not null, checked_at timestamp not null
)
