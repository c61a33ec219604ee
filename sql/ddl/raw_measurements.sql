-- raw.measurements: every received row, as text, with its lineage.
create table if not exists raw.measurements (
    clinic_id varchar, session_id varchar, measure varchar, timepoint varchar, value varchar,
    _batch_id varchar not null, _row_number bigint not null
)
