"""FHIR R4 Bulk Data exports as export batches (contract section 1, docs/fhir.md).

The hook of ``pipeline.ingest``: ``is_fhir`` (a folder whose manifest.json is a Bulk Data one),
``inspect`` (whole-batch checks), ``parse`` (read and map into its received_* tables),
``record`` (inside the batch's transaction) and ``cleanup``; ``REPLACE`` are the deletes a
re-export of the same batch id adds to the CSV path's.
"""
from pipeline.fhir.reader import cleanup, inspect, is_fhir, parse, record

REPLACE = ("fhir/delete_resources", "fhir/delete_quarantine")

__all__ = ["REPLACE", "cleanup", "inspect", "is_fhir", "parse", "record"]
