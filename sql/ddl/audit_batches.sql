-- audit.batches: one row per distinct batch content received (accepted or rejected).
create table if not exists audit.batches (
    batch_id varchar not null, clinic_id varchar, status varchar not null, reasons varchar[],
    sha256 varchar not null, rows_raw bigint, rows_staged bigint, rows_quarantined bigint,
    loaded_at timestamp not null, folder varchar, exported_at varchar
)
