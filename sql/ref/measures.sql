-- ref.measures: the measure registry, loaded from pipeline/registry/measures.csv.
create or replace table ref.measures as
select code, instrument, range_min::double as range_min, range_max::double as range_max,
       better, mcid::double as mcid, mcid_kind, mcid_source
from read_csv($path, header = true, all_varchar = true)
