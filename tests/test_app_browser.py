"""Browser test of the app: serve ``aipm app`` on loopback, drive it in headless Chromium.

Covers what a class needs: the page loads with no network fetch and fits a 1280×720
projector; two browser sessions run independent models; a shock applied from the page
reaches the model and the timeline; Step and Play work (their timings are measured
in ``make bench``, not asserted here); and the three teaching stories of
``docs/howto/teach-with-the-app.md`` run from the page alone, making its screenshots
(``AIPM_UPDATE_SCREENSHOTS=1`` writes them into ``docs/howto/img/``).

Uses Debian's Chromium (``/usr/bin/chromium``; ``.ci/run`` installs it when missing),
never Playwright's own browser download. Every wait is for a condition, with generous
time-outs (a loaded 2-core CI machine).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runs.app_probe import CHROMIUM, LAUNCH_ARGS, AppPage, save_small_png, serve

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "docs" / "howto" / "img"
PROJECTOR = {"width": 1280, "height": 720}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (/usr/bin/chromium)"),
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Point pytest-playwright at Debian's Chromium, headless."""
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": LAUNCH_ARGS}


@pytest.fixture(scope="session")
def base_url():
    """No base URL (replaces pytest-playwright's fallback fixture, which pytest 9 flags)."""
    return None


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """One ``aipm app`` server for the module's tests (each test opens its own sessions)."""
    with serve(tmp_path_factory.mktemp("app") / "server.log") as url:
        yield url


@pytest.fixture
def session(browser, app_url):
    """A fresh browser session (its own context: cookies, kernel, model) at 1280×720."""
    context = browser.new_context(viewport=PROJECTOR)
    yield AppPage(context.new_page(), app_url).open()
    context.close()


def test_page_loads_offline_and_fits_a_projector(session):
    page = session.page
    assert session.quarter() == 0
    # the three gauges are visible without scrolling on a 1280×720 projector
    for key in ("engine", "gears", "fuel"):
        box = page.locator(f"[data-chart={key}]").bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 720, key
        assert box["width"] > 300, key
    # short labels with visible values; slider tracks keep their width
    labels = page.locator(".aipm-label").all_inner_texts()
    assert len(labels) == 6 and all(any(c.isdigit() for c in t) for t in labels), labels
    widths = page.locator(".aipm-side .v-slider").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().width)"
    )
    assert len(widths) == 6 and min(widths) > 200, widths
    assert page.get_by_text("PAGE 0").count() == 0
    session.step()
    assert session.quarter() == 1
    assert session.external_requests() == []
    assert session.console_errors == []


def test_two_sessions_run_independent_models(browser, app_url):
    contexts = [browser.new_context(viewport=PROJECTOR) for _ in range(2)]
    try:
        a, b = (AppPage(c.new_page(), app_url).open() for c in contexts)
        a.step()
        a.step()
        assert (a.quarter(), b.quarter()) == (2, 0)
        b.wait_drawn(0)  # b's charts still show no quarter at all
        b.step()
        assert (a.quarter(), b.quarter()) == (2, 1)
        a.wait_drawn(2)
        b.reset()
        assert (a.quarter(), b.quarter()) == (2, 0)
        a.step()
        assert a.quarter() == 3
    finally:
        for c in contexts:
            c.close()


def test_a_shock_from_the_page_reaches_the_model_and_the_timeline(session):
    session.step()
    session.step()
    session.apply_shipped_shock("Supplier stops financing")
    assert "Scheduled: 2025Q3" in session.page.locator(".aipm-side").inner_text()
    session.step()
    timeline = session.timeline()
    assert "2025Q3 system: shock" in timeline
    assert "behaviour.vendor_financing = False" in timeline
    session.apply_parameter_shock("demand", "conversion_speed", 0.0)
    session.step()
    assert "demand.conversion_speed: 0.08 → 0.0 (set in the app)" in session.timeline()
    # a refused value: one line naming the parameter and nothing scheduled
    session.page.get_by_label("New value").fill("7")
    session.page.get_by_label("New value").press("Enter")
    session.page.get_by_role("button", name="Apply shock").click()
    session.page.get_by_text("demand.conversion_speed").first.wait_for()
    assert "Scheduled:" not in session.page.locator(".aipm-side").inner_text()


def test_step_and_play(session):
    seconds = [session.step() for _ in range(3)]
    assert session.quarter() == 3 and all(s > 0 for s in seconds)
    rate = session.play(8)
    assert rate > 0 and 11 <= session.quarter() <= 13  # Pause stops within a quarter or two
    # charts out of view skipped their redraws; scrolled into view, they catch up
    for key in ("defaults", "funding_gap"):
        session.scroll_to(key)


def _shot(session: AppPage, name: str, tmp_path: Path, locator=None) -> Path:
    """Screenshot (the viewport, or one element) made small; copied into the docs on request."""
    if locator is None:
        session.to_top()
    raw = (locator or session.page).screenshot()
    target = tmp_path / f"{name}.png"
    save_small_png(raw, target)
    assert target.stat().st_size > 2_000
    if os.environ.get("AIPM_UPDATE_SCREENSHOTS") == "1":
        save_small_png(raw, SHOTS / f"{name}.png")
    return target


@pytest.fixture
def two_tabs(browser, app_url):
    """Two tabs of the app side by side (a teacher's comparison): independent sessions."""
    contexts = [browser.new_context(viewport=PROJECTOR) for _ in range(2)]
    yield [AppPage(c.new_page(), app_url).open() for c in contexts]
    for c in contexts:
        c.close()


def _story(two_tabs, tmp_path, name: str, chart: str, apply_shock) -> AppPage:
    """Tab 1 plays the baseline; tab 2 steps to 2026Q2, applies the shock, plays on."""
    baseline, shocked = two_tabs
    panel = chart.replace("_", "-")
    baseline.play(12)
    _shot(baseline, f"teach-{name}-baseline-{panel}", tmp_path, baseline.scroll_to(chart))
    for _ in range(5):  # to 2026Q2
        shocked.step()
    apply_shock(shocked)
    shocked.play(7)
    assert "2026Q2 system: shock" in shocked.timeline()
    _shot(shocked, f"teach-{name}-shock", tmp_path)
    _shot(shocked, f"teach-{name}-shock-{panel}", tmp_path, shocked.scroll_to(chart))
    return shocked


def test_teach_paid_growth_stalls(two_tabs, tmp_path):
    """docs/howto/teach-with-the-app.md, story 1, from the page alone."""
    shocked = _story(
        two_tabs,
        tmp_path,
        "paid",
        "engine",
        lambda tab: tab.apply_parameter_shock("demand", "conversion_speed", 0.0),
    )
    assert "demand.conversion_speed: 0.08 → 0.0 (set in the app)" in shocked.timeline()


def test_teach_nvidia_stops_financing(two_tabs, tmp_path):
    """docs/howto/teach-with-the-app.md, story 2, from the page alone."""
    shocked = _story(
        two_tabs,
        tmp_path,
        "nvidia",
        "round_trip",
        lambda tab: tab.apply_shipped_shock("Supplier stops financing"),
    )
    assert "behaviour.vendor_financing = False" in shocked.timeline()


def test_teach_productive_future(two_tabs, tmp_path):
    """docs/howto/teach-with-the-app.md, story 3, from the page alone: the same firms and
    rules end in a bust in the baseline and in a boom in the productive future (seed 1)."""
    baseline, future = two_tabs
    assert baseline.outcome() == ""
    baseline.play_to_end()
    future.reset_with("productive_future", seed=1)
    future.play_to_end()
    assert baseline.outcome() == "bust"
    assert future.outcome() == "boom"
    _shot(baseline, "teach-future-baseline", tmp_path)
    _shot(future, "teach-future-future", tmp_path)
