-- Record a merged site's file (after its rows are loaded).
insert into audit.aggregate_sites (
    site_id, file_name, file_sha256, format_version, registry_sha256, code_version, git_commit,
    package_version, clinics, batches, run_id, merged_at, manifest, exported_at, settings
)
values (
    $site_id, $file_name, $file_sha256, $format_version, $registry_sha256, $code_version, $git_commit,
    $package_version, $clinics, $batches, $run_id, $merged_at, $manifest, $exported_at, $settings
)
