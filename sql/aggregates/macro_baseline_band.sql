-- baseline_band(baseline, lo, hi, bands): which of `bands` equal parts of the measure's scale
-- [lo, hi] (ref.measures' range) a baseline score falls in, named by its share of the range
-- ('0-20%', '20-40%', ... '80-100%' for five). A score on a boundary belongs to the upper part
-- (rounded to 9 decimals first, so 0.6 of a 0-1 scale is 3/5 exactly), the top of the scale to
-- the last. The responder model's baseline covariate (docs/aggregates-layer.md).
create or replace temp macro baseline_band(baseline, lo, hi, bands) as (
    (100 * least(floor(round(bands * (baseline - lo) / (hi - lo), 9)), bands - 1) // bands)::integer::varchar
    || '-'
    || (100 * (least(floor(round(bands * (baseline - lo) / (hi - lo), 9)), bands - 1) + 1) // bands)::integer::varchar
    || '%'
)
