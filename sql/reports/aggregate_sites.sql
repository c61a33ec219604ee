-- A hub's merged sites for the evidence packs' provenance: each site's code, registry, export and
-- file checksum, and its batches as its manifest lists them (id, content sha256, status).
select
    site_id,
    package_version,
    code_version,
    git_commit,
    registry_sha256,
    exported_at,
    file_name,
    file_sha256,
    merged_at,
    from_json(
        json_extract(manifest, '$.batches'),
        '[{"batch_id": "VARCHAR", "sha256": "VARCHAR", "status": "VARCHAR"}]'
    ) as batches
from audit.aggregate_sites
order by site_id
