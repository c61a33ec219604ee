-- Risk-adjusted observed vs expected per clinic (the statistics work's mart; already suppressed).
select * from marts.clinic_benchmarks
