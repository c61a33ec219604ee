"""Headless Chromium for the PDF evidence packs and the screenshots.

Driven over the DevTools protocol by choreographer, the browser driver kaleido already brings
(no extra dependency). One browser serves every page: starting Chromium costs about a second,
a page afterwards a fraction of that. Pages are laid out at the printed width with print media
before their charts render, so the PDF's charts are drawn for the page (as vectors), not shrunk.
"""
from __future__ import annotations

import asyncio
import base64
import threading
from pathlib import Path

LETTER_IN = (8.5, 11.0)
MARGIN_IN = 0.55
CSS_PX_PER_IN = 96
PRINT_WIDTH_PX = round((LETTER_IN[0] - 2 * MARGIN_IN) * CSS_PX_PER_IN)
PAGE_TIMEOUT_S = 60
PDF_TABS = 2  # pages printed at once: the renderer of one tab is single-threaded
# Resolves when every plotly chart has drawn its SVG (or after 15 s, to fail the check later).
RENDERED_JS = """new Promise(resolve => {
  const start = Date.now();
  (function check() {
    const divs = [...document.querySelectorAll('.plotly-graph-div')];
    const drawn = divs.filter(d => d.querySelector('.main-svg')).length;
    if (drawn === divs.length || Date.now() - start > 15000) resolve([drawn, divs.length]);
    else setTimeout(check, 50);
  })();
})"""
# Keep each chart as laid out for the page: printing resizes the window, and a responsive chart
# would redraw itself for the window, not the paper.
UNHOOK_JS = """document.querySelectorAll('.plotly-graph-div').forEach(
  d => d._responsiveChartHandler && window.removeEventListener('resize', d._responsiveChartHandler)); true"""
# Untagged: 2 to 3 times faster to print and a third of the size; the HTML page is the accessible one.
TAGGED_PDF = False
FOOTER = ('<div style="font: 8px system-ui, sans-serif; color: #6b7280; width: 100%; padding: 0 0.55in; '
          'display: flex; justify-content: space-between"><span>{title}</span>'
          '<span>page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>')


class BrowserMissing(RuntimeError):
    """No Chrome or Chromium to print or photograph the pages with."""


def find_browser() -> str:
    """The browser's path: $BROWSER_PATH, else chromium / chrome on PATH (choreographer's search)."""
    try:
        from choreographer.browsers.chromium import Chromium
    except ImportError as exc:  # kaleido (and with it choreographer) not installed
        raise BrowserMissing("choreographer (installed with kaleido) is missing") from exc
    try:
        path = Chromium.find_browser(skip_local=False)
    except Exception:  # noqa: BLE001 - choreographer raises its own types per platform
        path = None
    if not path or not Path(path).is_file():
        raise BrowserMissing("no Chrome or Chromium found (install chromium, or set BROWSER_PATH)")
    return str(path)


def run_sync(coro):
    """Run a coroutine to completion, also from a thread that already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    result: dict = {}

    def target():
        try:
            result["value"] = asyncio.run(coro)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            result["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


class Tab:
    """One tab of the headless browser: load a page, print it, photograph it."""

    def __init__(self, tab):
        self._tab = tab

    async def _send(self, method: str, params: dict | None = None) -> dict:
        response = await self._tab.send_command(method, params=params or {})
        if "error" in response:
            raise RuntimeError(f"{method}: {response['error'].get('message', response['error'])}")
        return response["result"]

    async def load(self, html: Path, width: int, height: int, media: str = "screen") -> tuple[int, int]:
        """Open a page at the given viewport; returns (charts drawn, charts on the page)."""
        await self._send("Emulation.setDeviceMetricsOverride",
                         {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        await self._send("Emulation.setEmulatedMedia", {"media": media})
        loaded = self._tab.subscribe_once("Page.loadEventFired")
        await self._send("Page.navigate", {"url": html.resolve().as_uri()})
        await asyncio.wait_for(loaded, PAGE_TIMEOUT_S)
        result = await self._send("Runtime.evaluate", {"expression": RENDERED_JS, "awaitPromise": True,
                                                       "returnByValue": True})
        drawn, total = result["result"]["value"]
        return drawn, total

    async def pdf(self, html: Path, out: Path, title: str = "") -> Path:
        drawn, total = await self.load(html, PRINT_WIDTH_PX, 1000, media="print")
        if drawn < total:
            raise RuntimeError(f"{html.name}: only {drawn} of {total} charts rendered")
        await self._send("Runtime.evaluate", {"expression": UNHOOK_JS})
        result = await self._send("Page.printToPDF", {
            "paperWidth": LETTER_IN[0], "paperHeight": LETTER_IN[1], "marginTop": MARGIN_IN,
            "marginBottom": MARGIN_IN + 0.1, "marginLeft": MARGIN_IN, "marginRight": MARGIN_IN,
            "printBackground": True, "generateTaggedPDF": TAGGED_PDF,
            "displayHeaderFooter": True, "headerTemplate": "<span></span>",
            "footerTemplate": FOOTER.format(title=_escape(title)),
        })
        out.write_bytes(base64.b64decode(result["data"]))
        return out

    async def screenshot(self, html: Path, out: Path, width: int = 1280, height: int = 1600) -> Path:
        await self.load(html, width, height)
        result = await self._send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": False,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
        })
        out.write_bytes(base64.b64decode(result["data"]))
        return out


class Headless:
    """One headless Chromium, opened with ``async with``; ``tab()`` opens a tab in it."""

    def __init__(self, path: str | None = None):
        import choreographer

        self._browser = choreographer.Browser(path=path or find_browser(), headless=True)

    async def __aenter__(self) -> "Headless":
        await self._browser.open()
        return self

    async def __aexit__(self, *exc) -> None:
        await self._browser.close()

    async def tab(self) -> Tab:
        tab = await self._browser.create_tab("about:blank")
        await tab.send_command("Page.enable")
        return Tab(tab)

    async def each(self, jobs: list[tuple], work, tabs: int = 1) -> list:
        """Run ``work(tab, *job)`` for every job, on up to ``tabs`` tabs at once; results in job order."""
        queue: asyncio.Queue = asyncio.Queue()
        for i, job in enumerate(jobs):
            queue.put_nowait((i, job))
        results: list = [None] * len(jobs)

        async def worker():
            tab = await self.tab()
            while not queue.empty():
                i, job = queue.get_nowait()
                results[i] = await asyncio.wait_for(work(tab, *job), PAGE_TIMEOUT_S)

        await asyncio.gather(*(worker() for _ in range(max(1, min(tabs, len(jobs))))))
        return results


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


async def _in_browser(jobs: list[tuple], work, tabs: int) -> list:
    async with Headless() as browser:
        return await browser.each(jobs, work, tabs)


def print_pdfs(jobs: list[tuple[Path, Path, str]], tabs: int = PDF_TABS) -> list[Path]:
    """Print each (html, pdf, footer title) with one browser. Raises BrowserMissing without one."""
    find_browser()
    return run_sync(_in_browser(jobs, Tab.pdf, tabs)) if jobs else []


def screenshots(jobs: list[tuple[Path, Path, int, int]]) -> list[Path]:
    """PNG screenshots of (html, png, width, height), with one browser."""
    find_browser()
    return run_sync(_in_browser(jobs, Tab.screenshot, 1)) if jobs else []
