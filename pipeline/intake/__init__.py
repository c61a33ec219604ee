"""Intake of export batches: ``checks`` (whole-batch checks, pure, no warehouse); the loading is
``pipeline.ingest`` (one scan per group of files with the same header)."""
