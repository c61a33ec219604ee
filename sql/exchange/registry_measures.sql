-- The measure registry's columns that change a figure (the hash a site and its hub must share).
select code, range_min, range_max, better, mcid, mcid_kind
from ref.measures
order by code
