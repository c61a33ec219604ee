-- Record one setting the episodes were built with (replacing the value of the previous build).
insert or replace into audit.analysis_settings (setting, value)
values ($setting, $value)
