"""The browser of the console tests: Debian's Chromium driven headless by
Playwright, and the server the console runs in.

Also used by ``tools/console_screenshots.py``: screenshots for the docs
are taken by the same code as the tests.
"""
import contextlib
import http.server
import os
import threading

import pytest

from tests.functional import harness

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu",
                 "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--no-first-run"]
WIDE = {"width": 1280, "height": 800}
NARROW = {"width": 390, "height": 844}
# Where the tests put their screenshots when asked to (the docs' folder).
SCREENSHOTS_ENV = "WFENGINE_CONSOLE_SCREENSHOTS"
NOTIFIER = {"allowed_networks": "127.0.0.1/32", "poll_interval": "0.05",
            "backoff_base": "0.1", "backoff_max": "0.2", "max_attempts": "2"}


def require_chromium():
    """Fail (CI) or skip when Chromium or Playwright is missing."""
    if not os.path.exists(CHROMIUM):
        harness.unavailable("%s is missing (apt-get install chromium; "
                            "tools/ensure_chromium.py does it)" % CHROMIUM)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        harness.unavailable("playwright is not installed (the test extra)")


@contextlib.contextmanager
def chromium():
    """A headless Chromium (Playwright's Browser)."""
    require_chromium()
    from playwright import sync_api
    with sync_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM,
                                         headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def console_deployment(workdir):
    """An embedded deployment whose notifier may call 127.0.0.1 and gives
    up after two attempts (so that failed deliveries happen quickly)."""
    return harness.Deployment(workdir, config={"notifier": NOTIFIER})


def screenshot(page, name, fallback_dir):
    """Save a PNG of ``page`` as ``console-<name>.png`` (in the docs'
    folder when ``WFENGINE_CONSOLE_SCREENSHOTS`` names it)."""
    folder = os.environ.get(SCREENSHOTS_ENV) or str(fallback_dir)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "console-%s.png" % name)
    page.screenshot(path=path, full_page=False)
    return path


class Receiver:
    """A webhook receiver on 127.0.0.1 answering ``status`` (settable)."""

    def __init__(self):
        self.status = 500
        self.received = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                owner.received.append(self.rfile.read(length))
                self.send_response(owner.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(
            (harness.LOOPBACK, 0), Handler)
        self.url = "http://%s:%d/hook" % self.server.server_address
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        daemon=True)
        self._thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def console_server(tmp_path_factory):
    """``wfengine-server --server all`` (console included)."""
    deployment = console_deployment(tmp_path_factory.mktemp("console"))
    with harness.running(deployment, ["all"]):
        yield deployment


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=WIDE)
    context.set_default_timeout(20000)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture
def shots(tmp_path):
    """Where this test's screenshots go."""
    return tmp_path
