"""Every HTML report in a real headless Chromium with the network off: each chart renders, the
console shows no error, nothing is fetched over http(s), and the clinic filters work.

Driven by Playwright's Python package with the system Chromium (``executable_path``); Playwright
never downloads a browser here. Needs: pip install playwright==1.65.2, and /usr/bin/chromium
(or $BROWSER_PATH).
"""
from __future__ import annotations

import os
import re
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("BROWSER_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CHARTS_DRAWN = "() => [...document.querySelectorAll('.plotly-graph-div')].every(d => d.querySelector('.main-svg'))"
CHART_COUNT = ("() => { const divs = [...document.querySelectorAll('.plotly-graph-div')]; "
               "return [divs.length, divs.filter(d => d.querySelector('.main-svg')).length]; }")


def missing(reason: str) -> None:
    """Skip without Chromium or Playwright, except where OUTCOMES_REQUIRE_BROWSER=1 (CI): fail."""
    if os.environ.get("OUTCOMES_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}, and OUTCOMES_REQUIRE_BROWSER=1")
    pytest.skip(reason)


@contextmanager
def offline_chromium(tmp_path_factory):
    """One Chromium with a fresh profile, offline: every request that is not a local file is
    recorded and refused, and so is every failed one. Yields (context, requests)."""
    if not Path(CHROMIUM).is_file():
        missing(f"no Chromium at {CHROMIUM} (install Debian's chromium; CI does)")
    try:
        from playwright import sync_api
    except ImportError:
        missing("the browser tests need: pip install playwright==1.65.2")
    requests: list[str] = []
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            user_data_dir=str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM,
            headless=True, args=FLAGS, offline=True, viewport={"width": 1280, "height": 900})

        def refuse(route):
            requests.append(route.request.url)
            route.abort()

        context.route(re.compile(r"^(https?|wss?)://"), refuse)
        context.on("request", lambda r: requests.append(r.url) if not r.url.startswith(("file:", "data:", "blob:", "about:")) else None)
        context.on("requestfailed", lambda r: requests.append(f"failed: {r.url}"))
        yield context, requests
        context.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with offline_chromium(tmp_path_factory) as opened:
        yield opened


def visit(context, path: Path) -> dict:
    page = context.new_page()
    console, errors = [], []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_function(CHARTS_DRAWN, timeout=30_000)
        total, drawn = page.evaluate(CHART_COUNT)
    finally:
        page.close()
    return {"charts": total, "drawn": drawn, "errors": errors + [c for c in console if c.startswith("error")]}


def network_pages(run) -> list[Path]:
    """Of a many-clinic run: every page but the dashboards, and two dashboards."""
    return [p for p in run.html() if p.parent.name != "clinics"] + sorted((run.reports / "clinics").glob("*.html"))[-2:]


@pytest.mark.parametrize("which", ["demo", "bare", "many"])
def test_every_report_renders_offline_without_errors(browser, which, request):
    context, requests = browser
    run = request.getfixturevalue(which)
    pages = network_pages(run) if which == "many" else run.html()
    assert len(pages) >= 5
    problems = {}
    for path in pages:
        seen = visit(context, path)
        name = path.relative_to(run.reports).as_posix()
        if seen["errors"]:
            problems[name] = seen["errors"][:3]
        elif seen["drawn"] != seen["charts"]:
            problems[name] = f"{seen['drawn']} of {seen['charts']} charts drawn"
        elif name != "quality.html" and not seen["charts"]:
            problems[name] = "no chart on the page"
    assert not problems
    assert not requests, f"network requests: {requests[:5]}"


def test_clinic_filters_show_the_chosen_condition_and_measure(browser, demo):
    context, _ = browser
    page = context.new_page()
    try:
        page.goto((demo.reports / "clinics" / "c001.html").as_uri(), wait_until="load")
        page.wait_for_function(CHARTS_DRAWN, timeout=30_000)
        conditions = page.eval_on_selector_all("#f-condition option", "os => os.map(o => o.value)")
        assert len(conditions) > 1
        page.select_option("#f-condition", conditions[1])
        measure = page.eval_on_selector("#f-measure", "s => s.value")
        visible = page.evaluate("() => document.getElementById('fig-comparison').data"
                                ".filter(t => t.visible === true).map(t => t.meta)")
        assert visible and set(visible) == {f"{conditions[1]}|{measure}"}
        rows = page.eval_on_selector_all("#t-comparison tbody tr", "rs => rs.filter(r => !r.hidden)"
                                         ".map(r => r.dataset.condition + '|' + r.dataset.measure)")
        assert rows and set(rows) == {f"{conditions[1]}|{measure}"}
    finally:
        page.close()


def test_the_guards_catch_a_request_and_a_console_error(browser, tmp_path):
    """The checks above are not vacuous: a fetch over https and a script error are both seen."""
    context, requests = browser
    page = tmp_path / "bad.html"
    page.write_text('<img src="https://example.invalid/x.png"><script>console.error("boom")</script>', encoding="utf-8")
    before = len(requests)
    seen = visit(context, page)
    assert any("boom" in e for e in seen["errors"])
    assert any("example.invalid" in url for url in requests[before:])
    del requests[before:]


VISIBLE = "() => [...document.querySelectorAll('#t-clinics tbody tr')].filter(r => !r.hidden).map(r => r.dataset.clinic)"
COLUMN = ("i => [...document.querySelectorAll('#t-clinics tbody tr')].filter(r => !r.hidden)"
          ".map(r => r.cells[i].textContent.trim())")


def as_number(text: str) -> float:
    """A count cell as the page sorts it: "1,234" and "1,234+" (at least) are 1234, suppressed is lowest."""
    digits = text.replace(",", "").rstrip("+")
    return float(digits) if digits.replace(".", "").isdigit() else float("-inf")


def test_the_landing_clinic_table_searches_and_sorts(browser, many):
    context, requests = browser
    dashboards = sorted(p.stem for p in (many.reports / "clinics").glob("*.html"))
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto((many.reports / "index.html").as_uri(), wait_until="load")
        listed = page.evaluate(VISIBLE)
        assert listed == dashboards  # every clinic once, by clinic id
        assert page.inner_text("#clinic-count") == f"{len(dashboards)} clinics"

        page.fill("#clinic-search", "c001")
        expected = [c for c in dashboards if "c001" in c]
        assert page.evaluate(VISIBLE) == expected and 1 < len(expected) < len(dashboards)
        assert page.inner_text("#clinic-count") == f"{len(expected)} of {len(dashboards)} clinics"
        page.fill("#clinic-search", "C0042")  # case-insensitive, one clinic
        assert page.evaluate(VISIBLE) == ["c0042"]
        page.fill("#clinic-search", "no such clinic")
        assert page.evaluate(VISIBLE) == []
        page.fill("#clinic-search", "")
        assert page.evaluate(VISIBLE) == dashboards

        page.click("#t-clinics thead th:nth-child(2) button")  # episodes, ascending
        episodes = [as_number(t) for t in page.evaluate(COLUMN, 1)]
        assert episodes == sorted(episodes) and len(set(episodes)) > 1
        page.click("#t-clinics thead th:nth-child(2) button")  # again: descending
        episodes = [as_number(t) for t in page.evaluate(COLUMN, 1)]
        assert episodes == sorted(episodes, reverse=True)
        assert page.get_attribute("#t-clinics thead th:nth-child(2)", "aria-sort") == "descending"
        page.click("#t-clinics thead th:nth-child(3) button")  # sessions, ascending
        sessions = [as_number(t) for t in page.evaluate(COLUMN, 2)]
        assert sessions == sorted(sessions)
        page.fill("#clinic-search", "c00")  # search keeps the sort order
        assert page.evaluate(VISIBLE) == [c for c in page.evaluate(
            "() => [...document.querySelectorAll('#t-clinics tbody tr')].map(r => r.dataset.clinic)") if "c00" in c]
        page.fill("#clinic-search", "")
        page.click("#t-clinics thead th:nth-child(1) button")  # clinic id: ascending, then descending
        assert page.evaluate(VISIBLE) == dashboards
        page.click("#t-clinics thead th:nth-child(1) button")
        assert page.evaluate(VISIBLE) == sorted(dashboards, reverse=True)
        href = page.get_attribute("#t-clinics tbody tr:first-child a", "href")
        assert href == f"clinics/{sorted(dashboards)[-1]}.html" and (many.reports / href).is_file()
    finally:
        page.close()
    assert not errors and not requests
