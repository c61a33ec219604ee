"""Fixtures of the report tests: a small demo run through the real command line."""
from __future__ import annotations

import pytest

from tests.reports.demo import DemoRun, bare_run, demo_run, hub_run, many_run


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> DemoRun:
    """3 clinics, 400 patients, every mart (statistics work's included)."""
    return demo_run(tmp_path_factory)


@pytest.fixture(scope="session")
def bare(tmp_path_factory) -> DemoRun:
    """The same warehouse without the optional marts (pooling, dose-response, benchmarks)."""
    return bare_run(tmp_path_factory)


@pytest.fixture(scope="session")
def many(tmp_path_factory) -> DemoRun:
    """The demo's warehouse tiled to 90 clinics, its reports rebuilt (no PDFs)."""
    return many_run(tmp_path_factory)


@pytest.fixture(scope="session")
def hub(tmp_path_factory) -> DemoRun:
    """The demo's warehouse exported as one site and merged into a hub, its reports (no PDFs)."""
    return hub_run(tmp_path_factory)
