-- The measure registry with each MCID and its source.
select code, instrument, range_min, range_max, better, mcid, mcid_kind, mcid_source
from ref.measures
