-- The sites a hub holds (a warehouse that is not a hub holds none).
select count(*) from audit.aggregate_sites
