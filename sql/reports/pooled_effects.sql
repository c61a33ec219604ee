-- Random-effects pooling of the clinics' SMCR (the statistics work's mart; every column).
select * from marts.pooled_effects
