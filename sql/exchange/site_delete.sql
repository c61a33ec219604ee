-- Forget a site's file record (before its new file is loaded).
delete from audit.aggregate_sites where site_id = $site_id
