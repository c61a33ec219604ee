-- The published cells behind each dose-response line (the statistics work's mart).
select * from marts.dose_response_points
