-- Forget the sessions file just parsed.
drop table if exists received_sessions
