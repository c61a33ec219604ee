-- The recorded fingerprint of each of these folders whose content was received (accepted, rejected or replaced).
select f.folder, f.fingerprint
from audit.received_folders as f
semi join audit.batches as b on b.sha256 = f.sha256
where list_contains($folders, f.folder)
