-- Each clinic's effect by the quarter (Safe Harbor: year) its episodes started (already suppressed).
select * from marts.clinic_trends where period <> 'all' order by clinic_id, condition_group, measure, period
