"""Drive the app in a headless browser: serve it, open sessions, step, play, shock, time.

Shared by the browser test (``tests/test_app_browser.py``), the benchmark
(``benchmarks/bench_app.py``) and the screenshots of the teaching how-to. Uses
Debian's Chromium (``/usr/bin/chromium``) through Playwright (a dev dependency,
imported only by the callers); never Playwright's own browser download.

Timings are taken inside the page (``performance.now()``): from the click to the
moment the header shows the new quarter *and* every chart has drawn it (each chart's
``data-points`` attribute), so they include the server, the websocket and the
browser's drawing — what a person in front of the projector waits for.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["CHROMIUM", "LAUNCH_ARGS", "AppPage", "free_port", "save_small_png", "serve"]

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
]
#: Generous: a loaded 2-core CI machine may take long to start a server or draw a page.
TIMEOUT_MS = int(os.environ.get("AIPM_PROBE_TIMEOUT_MS", "90000"))
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A free TCP port on the loopback address."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(log: Path, *, timeout_s: float = 120.0) -> Iterator[str]:
    """Run ``aipm app`` on a free loopback port; yield its URL; always stop it.

    Raises
    ------
    RuntimeError
        If the server exits or does not open its port within ``timeout_s`` (with the
        end of its log).
    """
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "runs", "app", "--port", str(port), "--host", "127.0.0.1"],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"aipm app exited with {proc.returncode}:\n"
                        + log.read_text(errors="replace")[-3000:]
                    )
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(
                            f"aipm app did not open port {port} in {timeout_s:.0f} s"
                        ) from None
                    time.sleep(0.2)
            yield f"http://127.0.0.1:{port}/"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)


# In-page helpers. ``shown()`` gives the lowest and highest quarter the page shows: the
# header's and every chart's in view (its ``data-points``; the network has no quarter
# axis; charts scrolled out of view redraw when they come back, see runs/app_widget.py).
_SHOWN = """() => {
  const header = document.querySelector('.aipm-quarter');
  const m = header ? header.textContent.trim().match(/^Quarter (\\d+) of /) : null;
  if (!m) return [-1, -1];
  const qs = [Number(m[1]), ...[...document.querySelectorAll('.aipm-chart')]
    .filter((e) => e.dataset.chart !== 'network')
    .filter((e) => { const r = e.getBoundingClientRect();
                     return r.bottom > 0 && r.top < window.innerHeight; })
    .map((e) => Number(e.dataset.points))];
  return [Math.min(...qs), Math.max(...qs)];
}"""
# Click a button; resolve when every part of the page shows quarter n or later, with the
# seconds since the click and the quarter reached; then click ``thenClick`` (if any).
_CLICK_AND_TIME = (
    """([label, n, timeoutMs, thenClick]) => new Promise((resolve, reject) => {
  const shown = """
    + _SHOWN
    + """;
  const button = (text) => [...document.querySelectorAll('button')].find(
    (b) => b.textContent.trim() === text);
  const btn = button(label);
  if (!btn) { reject(new Error(`no button ${label}`)); return; }
  const t0 = performance.now();
  const check = () => {
    const [lo] = shown();
    if (lo >= n) {
      const seconds = (performance.now() - t0) / 1000;
      if (thenClick) button(thenClick).click();
      resolve([seconds, lo]);
    } else if (performance.now() - t0 > timeoutMs) reject(new Error(`quarter ${n} not drawn`));
    else requestAnimationFrame(check);
  };
  btn.click();
  requestAnimationFrame(check);
})"""
)


class AppPage:
    """One browser session of the app (a Playwright ``Page``) and what a person does on it."""

    def __init__(self, page: Any, url: str) -> None:
        self.page = page
        self.url = url
        self.requests: list[str] = []
        self.console_errors: list[str] = []
        page.set_default_timeout(TIMEOUT_MS)
        page.on("request", lambda r: self.requests.append(r.url))
        page.on(
            "console",
            lambda m: self.console_errors.append(m.text) if m.type == "error" else None,
        )

    def open(self) -> AppPage:
        """Load the page and wait until every chart is drawn at quarter 0."""
        self.page.goto(self.url)
        self.page.get_by_text(re.compile(r"^Quarter 0 of \d+$")).wait_for()
        self.wait_drawn(0)
        return self

    def wait_drawn(self, n: int) -> None:
        """Wait until the header and every chart show ``n`` quarters."""
        self.page.wait_for_function(f"(({_SHOWN})()).every((q) => q === {n})", timeout=TIMEOUT_MS)

    def quarter(self) -> int:
        """The quarter the page's header shows."""
        text = self.page.locator(".aipm-quarter").inner_text()
        return int(text.split()[1])

    def step(self) -> float:
        """Click Step; seconds until the page shows the next quarter everywhere."""
        n = self.quarter() + 1
        seconds, _ = self.page.evaluate(_CLICK_AND_TIME, ["Step", n, TIMEOUT_MS, None])
        return float(seconds)

    def play(self, quarters: int) -> float:
        """Click Play; pause once ``quarters`` more are drawn; quarters drawn per second.

        The rate counts the quarters drawn everywhere on the page (header and every
        chart) from the click to the first moment at least ``quarters`` are; the page
        may draw a quarter or two more before the pause reaches the server.
        """
        start = self.quarter()
        seconds, reached = self.page.evaluate(
            _CLICK_AND_TIME, ["▶ Play", start + quarters, TIMEOUT_MS, "❚❚ Pause"]
        )
        self.page.get_by_role("button", name="▶ Play").wait_for()
        self.wait_settled()
        return (reached - start) / float(seconds)

    def wait_settled(self) -> None:
        """Wait until the header and every chart show the same quarter."""
        self.page.wait_for_function(
            f"(([lo, hi]) => lo >= 0 && lo === hi)(({_SHOWN})())", timeout=TIMEOUT_MS
        )

    def reset(self) -> None:
        """Click Reset and wait for quarter 0."""
        self.page.get_by_role("button", name="Reset", exact=True).click()
        self.wait_drawn(0)

    def play_to_end(self) -> None:
        """Click Play and wait until the last quarter is drawn everywhere and Play stops."""
        total = int(self.page.locator(".aipm-quarter").inner_text().split()[-1])
        self.page.evaluate(_CLICK_AND_TIME, ["▶ Play", total, TIMEOUT_MS, None])
        self.page.get_by_role("button", name="▶ Play").wait_for()
        self.wait_settled()

    def reset_with(self, scenario: str, seed: int | None = None) -> None:
        """Pick ``scenario`` (and ``seed``), click *Reset with these settings*, wait.

        The seed is moved as a user at the keyboard would: the seed slider (the
        sidebar's first track) focused and stepped with the arrow keys, from its value.
        """
        self.select("Scenario", scenario)
        if seed is not None:
            thumb = self.page.locator(".aipm-track [role=slider]").first
            now = int(thumb.get_attribute("aria-valuenow") or 0)
            thumb.focus()
            for _ in range(abs(seed - now)):
                thumb.press("ArrowRight" if seed > now else "ArrowLeft")
        self.page.get_by_role("button", name="Reset with these settings").click()
        head = f"scenario {scenario}" + ("" if seed is None else f" · seed {seed} ·")
        self.page.wait_for_function(
            "(text) => document.querySelector('.aipm-head').textContent.includes(text)",
            arg=head,
            timeout=TIMEOUT_MS,
        )
        self.wait_drawn(0)

    def outcome(self) -> str:
        """The header's regime label (``""`` before the first quarter)."""
        label = self.page.locator(".aipm-outcome")
        return label.inner_text() if label.count() else ""

    def select(self, label: str, option: str) -> None:
        """Pick ``option`` in the sidebar's select labelled ``label``."""
        field = self.page.locator(".v-select").filter(has_text=label).first
        field.click()
        self.page.locator(".menuable__content__active .v-list-item").get_by_text(
            option, exact=True
        ).click()

    def apply_shipped_shock(self, label: str, when: str = "now") -> None:
        """Pick a shipped shock and apply it (now or at a quarter label)."""
        self.page.get_by_role("button", name="Shipped shock").click()
        self.select("Shock", label)
        if when != "now":
            self.select("When", when)
        self.page.get_by_role("button", name="Apply shock").click()
        self.page.get_by_text("scheduled for").wait_for()

    def apply_parameter_shock(self, table: str, name: str, value: float) -> None:
        """Pick a parameter, type its new value and apply it now."""
        self.page.get_by_role("button", name="Parameter", exact=True).click()
        self.select("Table", table)
        self.select("Parameter", name)
        # the picker names the parameter once it has switched to it; then type the value
        # and wait until the field holds it (a re-render must not have eaten the typing)
        self.page.locator(".aipm-side .aipm-note").filter(has_text=f"{table}.{name}:").wait_for()
        box = self.page.get_by_label("New value")
        box.fill(str(value))
        box.press("Enter")
        self.page.wait_for_function(
            "v => [...document.querySelectorAll('.aipm-side input')].some("
            "(i) => i.labels && [...i.labels].some((l) => l.textContent.includes('New value'))"
            " && i.value.trim() !== '' && Number(i.value) === v)",
            arg=float(value),
            timeout=TIMEOUT_MS,
        )
        self.page.get_by_role("button", name="Apply shock").click()
        self.page.get_by_text("scheduled for").wait_for()

    def to_top(self) -> None:
        """Scroll back to the top of the page (where the gauges are)."""
        self.page.locator(".aipm-quarter").scroll_into_view_if_needed()
        self.page.evaluate(
            "() => { window.scrollTo(0, 0); let e = document.querySelector('.aipm-quarter');"
            " while (e) { e.scrollTop = 0; e = e.parentElement; } }"
        )
        self.wait_settled()

    def scroll_to(self, key: str) -> Any:
        """Scroll chart ``key`` into view and wait until it is drawn; its card (a locator)."""
        card = self.page.locator(".aipm-card").filter(has=self.page.locator(f"[data-chart={key}]"))
        card.scroll_into_view_if_needed()
        n = self.quarter()
        self.page.wait_for_function(
            f"document.querySelector('[data-chart={key}]').dataset.points === '{n}'",
            timeout=TIMEOUT_MS,
        )
        return card

    def timeline(self) -> str:
        """The timeline's text (newest event first)."""
        return self.page.locator(".aipm-timeline").inner_text()

    def external_requests(self) -> list[str]:
        """Requests that left the app's own server (``blob:``/``data:`` URLs are local)."""
        return [
            u
            for u in self.requests
            if not u.startswith(self.url) and not u.startswith(("blob:", "data:"))
        ]


def save_small_png(png: bytes, path: Path, colours: int = 96) -> None:
    """Save a screenshot as a palette PNG (a few tens of kB instead of hundreds)."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    path.parent.mkdir(parents=True, exist_ok=True)
    image.quantize(colors=colours, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
