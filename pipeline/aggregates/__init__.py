"""Aggregates that merge (docs/aggregates.md): a site's or a shard's clinic-level sufficient
statistics as one file (``format``, ``export``), merged at a hub into the same marts as one run
over every site's batches (``merge``), and one network run in shards by clinic (``shards``)."""
