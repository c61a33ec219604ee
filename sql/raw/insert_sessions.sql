-- Load the sessions file just parsed into raw.sessions (inside the batch's transaction).
insert into raw.sessions by name
select * from received_sessions
order by _row_number
