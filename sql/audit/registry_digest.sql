-- The registry the episode layer was built with, for the build's fingerprint: the condition groups
-- (int_sessions) and the measures (int_episode_outcomes), each as its rows and the sum of their hashes.
select
    (select count(*) from ref.condition_groups) as condition_groups,
    (select coalesce(sum(hash(code_prefix, condition_group, description)), 0) from ref.condition_groups) as condition_groups_digest,
    (select count(*) from ref.measures) as measures,
    (select coalesce(sum(hash(code, instrument, range_min, range_max, better, mcid, mcid_kind, mcid_source)), 0)
     from ref.measures) as measures_digest
