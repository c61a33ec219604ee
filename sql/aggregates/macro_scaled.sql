-- scaled(v): a score or an improvement as an exact integer of 1e-9 points (docs/aggregates-layer.md).
-- improvement is already rounded to 9 decimals, so its scaled value is exact; the sums of
-- scaled values are exact integers, the same whatever order the rows (or the sites) come in.
create or replace temp macro scaled(v) as round(v * 1000000000)::hugeint
