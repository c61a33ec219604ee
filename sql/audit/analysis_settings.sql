-- The settings the warehouse's episodes (and aggregates) were last built with.
select setting, value
from audit.analysis_settings
order by setting
