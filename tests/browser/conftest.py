"""Fixtures for browser tests: the app served on a loopback port, and Debian's Chromium.

Playwright drives the system Chromium (CI installs it with apt-get); Playwright's own
browser downloads are never used. Without /usr/bin/chromium the tests are skipped.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.line_events import make_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def live_app(env):
    """The app for `env`, served from a background thread; yields its base URL."""
    app = make_app(env)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    app.extensions["fundbot"].db.dispose()


@pytest.fixture(scope="session")
def chromium():
    """A headless Chromium (Debian's), shared by the session's browser tests."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: apt-get install chromium fonts-thai-tlwg"
        print(f"\nSKIPPING browser tests: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    """A fresh browser tab (its own cookies and storage) in Thai, phone-ish wide."""
    context = chromium.new_context(locale="th-TH", viewport={"width": 1100, "height": 760})
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()
