"""Each bundle of ``outcomes publish``, copied alone into an empty folder, opens in headless
Chromium with the network off: every page loads, every chart draws, no console error, no request
leaves the folder. Skipped without Chromium or Playwright, except where OUTCOMES_REQUIRE_BROWSER=1
(CI), where that is a failure."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.browser.test_reports_browser import offline_chromium, visit

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One offline Chromium; every request that is not a file of the page's folder is recorded."""
    with offline_chromium(tmp_path_factory) as opened:
        yield opened


def _copy_alone(bundle: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy" / bundle.name
    shutil.copytree(bundle, target)
    return target


def test_each_bundle_renders_from_a_copy_of_itself_alone(browser, published, tmp_path_factory):
    context, requests = browser
    problems = {}
    for bundle in published.bundles():
        copy = _copy_alone(bundle, tmp_path_factory.mktemp(f"alone-{bundle.name}"))
        pages = sorted(copy.rglob("*.html"))
        assert copy / "index.html" in pages
        for path in pages:
            before = len(requests)
            seen = visit(context, path)
            name = f"{bundle.name}/{path.relative_to(copy).as_posix()}"
            if seen["errors"]:
                problems[name] = seen["errors"][:3]
            elif seen["drawn"] != seen["charts"]:
                problems[name] = f"{seen['drawn']} of {seen['charts']} charts drawn"
            outside = [u for u in requests[before:] if not u.startswith(copy.resolve().as_uri())]
            if outside:
                problems[name] = outside[:3]
        if bundle.parent.name == "clinics":
            assert visit(context, copy / "index.html")["charts"] >= 1
    assert not problems
    assert not [u for u in requests if not u.startswith("file:")], requests[:5]


def test_a_clinic_bundle_filters_work(browser, published, tmp_path):
    context, _ = browser
    copy = _copy_alone(published.out / "clinics" / published.clinic_ids[0], tmp_path)
    page = context.new_page()
    try:
        page.goto((copy / "index.html").as_uri(), wait_until="load")
        page.wait_for_function("() => document.getElementById('fig-comparison') && document.getElementById('fig-comparison').data",
                               timeout=30_000)
        options = page.eval_on_selector_all("#f-condition option", "os => os.map(o => o.value)")
        assert options
        assert page.eval_on_selector_all("#t-ranks tbody tr", "rs => rs.length") > 0
    finally:
        page.close()
