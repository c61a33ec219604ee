-- Sessions staged in this warehouse (a hub has none: it holds only merged aggregates).
select count(*) from staging.sessions
