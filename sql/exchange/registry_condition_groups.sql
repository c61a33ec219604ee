-- The condition groups' codes (the hash a site and its hub must share).
select code_prefix, condition_group
from ref.condition_groups
order by code_prefix, condition_group
