-- Fit of the network-wide case-mix models, per measure (no counts below the threshold: whole network).
select * from marts.benchmark_model_fit order by measure
