-- Record (or replace) the fingerprint of each folder checked whole this time, with its content's sha256.
insert or replace into audit.received_folders
select unnest($folders) as folder, unnest($fingerprints) as fingerprint, unnest($sha256s) as sha256, $checked_at as checked_at
