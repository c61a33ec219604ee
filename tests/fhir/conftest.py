"""Fixtures of the FHIR reader's tests: a private network key per test and a scratch warehouse."""
from __future__ import annotations

import logging

import pytest

from tests.quality.conftest import open_warehouse


@pytest.fixture(autouse=True)
def network_key_home(tmp_path, monkeypatch):
    """Each test gets its own key folder (never the user's ~/.config) and no key in the environment."""
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    monkeypatch.delenv("OUTCOMES_NETWORK_KEY", raising=False)
    yield home
    logging.getLogger("outcomes").handlers[:] = []


@pytest.fixture()
def wh(tmp_path):
    con = open_warehouse(tmp_path / "w.duckdb")
    yield con
    con.close()
