"""Browser test of the SolaraViz app: serve it on loopback, open it in headless Chromium.

Uses Debian's Chromium (``/usr/bin/chromium``; ``.ci/run`` installs it when missing),
never Playwright's own browser download.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (/usr/bin/chromium)"),
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Point pytest-playwright at Debian's Chromium, headless."""
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
        ],
    }


@pytest.fixture(scope="session")
def base_url():
    """No base URL (replaces pytest-playwright's fallback fixture, which pytest 9 flags)."""
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def app_url(tmp_path):
    """Serve the app with ``aipm app`` on a free loopback port; stop it afterwards."""
    port = _free_port()
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "runs", "app", "--port", str(port), "--host", "127.0.0.1"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                log.flush()
                pytest.fail(
                    f"solara exited with {proc.returncode}:\n"
                    + (tmp_path / "server.log").read_text(errors="replace")[-3000:]
                )
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("solara did not open its port within 60 s")
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


def _image_sources(page) -> list[str]:
    return page.eval_on_selector_all("img.widget-image", "els => els.map(e => e.src)")


def test_app_renders_gauges_and_steps(app_url, page, tmp_path):
    page.set_default_timeout(60_000)
    page.goto(app_url)
    page.get_by_text("Quarter 0 of 40").wait_for()
    page.get_by_text("Time: 0.0").wait_for()
    # the quarter card, then five matplotlib images: engine, gears, fuel, valuations, network
    page.wait_for_function("document.querySelectorAll('img.widget-image').length === 5")
    page.wait_for_function(
        "[...document.querySelectorAll('img.widget-image')].every(i => i.naturalWidth > 100)"
    )
    before = _image_sources(page)

    page.get_by_role("button", name="Step").click()
    page.get_by_text("Quarter 1 of 40").wait_for()
    page.get_by_text("Time: 1.0").wait_for()
    page.wait_for_function(
        "before => { const now = [...document.querySelectorAll('img.widget-image')];"
        " return now.length === 5 && now.slice(0, 3).every((img, k) =>"
        "   img.src !== before[k] && img.naturalWidth > 100); }",
        arg=before,
    )
    widths = page.eval_on_selector_all("img.widget-image", "els => els.map(e => e.naturalWidth)")
    assert widths[:3] == [900, 900, 900]  # each gauge: 9 in wide at 100 dpi

    shot = tmp_path / "app.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000

    # Reset rebuilds the model from the sidebar's parameters (keyword arguments)
    page.get_by_role("button", name="Reset").click()
    page.get_by_text("Quarter 0 of 40").wait_for()
