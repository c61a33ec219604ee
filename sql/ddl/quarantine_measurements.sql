-- quarantine.measurements: rejected rows, every original value kept as text, with reason codes.
create table if not exists quarantine.measurements (
    clinic_id varchar, session_id varchar, measure varchar, timepoint varchar, value varchar,
    _batch_id varchar not null, _row_number bigint not null, reasons varchar[] not null
)
