-- Forget the sessions file just parsed.
drop view if exists received_sessions
