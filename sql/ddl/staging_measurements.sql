-- staging.measurements: typed outcome scores of known sessions, inside the measure's range.
create table if not exists staging.measurements (
    clinic_id varchar not null, session_id varchar not null, measure varchar not null,
    timepoint varchar not null, value double not null,
    _batch_id varchar not null, _row_number bigint not null
)
