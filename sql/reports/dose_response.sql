-- Meta-regressions of cell effect sizes on a dose moderator (the statistics work's mart).
select * from marts.dose_response
