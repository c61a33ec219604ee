"""Thin Dagster assets, one module per stage; each body calls ``pipeline`` and nothing more."""
