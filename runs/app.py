"""The interactive app (``aipm app``): one model per browser session, live panels, shocks.

Serve it with ``aipm app`` (or ``solara run runs/app.py``). Every visitor gets a
model of their own, built inside the page (:class:`~runs.app_session.Session` held by
``solara.use_memo``): two browsers never share a run. The left column picks a
scenario, a seed and five multipliers of the scenario's own values (*Reset*
applies them) and applies shocks (:mod:`runs.app_sidebar`); the top bar steps and
plays; the page shows the article's three gauges, the live timeline of events, the
deal network with the NVIDIA → OpenAI → Oracle → NVIDIA loop, and panels for
valuations, round trip, leverage, sentiment and funding rounds, defaults and the
lab's funding gap.

Plots are ECharts charts (:mod:`runs.app_widget`) whose axes are fixed for the run:
a Step sends only the new data, so it stays fast however long the run.
"""

from __future__ import annotations

import html
import threading
import time
import warnings

import solara
import solara.server.settings

from runs.app_charts import GAUGES, PANELS, chart_option, chart_series
from runs.app_data import LOOP
from runs.app_network import loop_edges, network_option, network_series
from runs.app_session import Session, Settings, warm_up
from runs.app_sidebar import SettingsPanel, ShockPanel
from runs.app_widget import LiveChart

__all__ = ["PLAY_INTERVAL", "Page"]

# the page is the whole screen (a projector in class): no "runs on Solara" banner over the
# panels, and the tab's title before the page sets its own
solara.server.settings.theme.show_banner = False
solara.server.settings.theme.title = "aipm"
# Solara explains at length, on each first page load over plain http from an address other
# than "localhost", that its session cookie falls back to samesite=lax: what an app that is
# not embedded in another site's frame wants anyway (docs/howto/app.md)
warnings.filterwarnings(
    "ignore", message="Cookies with samesite=none require https", category=UserWarning
)

#: Shortest time between two quarters while playing, seconds (at most ~8 quarters a second).
PLAY_INTERVAL = 0.12
#: Longest wait (seconds) for the page to receive a quarter before playing the next.
PAGE_WAIT = 2.0
#: Events shown in the timeline (newest first).
TIMELINE_ROWS = 200

_CSS = """
.aipm-side { width: 290px; flex: none; padding: 8px 10px; background: #F6F7F9;
  border-right: 1px solid #E0E0E0; min-height: 100vh; }
.aipm-main { flex: 1 1 auto; min-width: 0; padding: 4px 10px; }
.aipm-side .v-input { margin-top: 0; padding-top: 0; }
.aipm-side .aipm-track { margin: -6px 0 0 0; }
.aipm-side .v-sheet { row-gap: 2px !important; }
.aipm-side .v-select, .aipm-side .v-text-field { margin-top: 10px !important; }
.aipm-side .v-messages { display: none; }
.aipm-label { display: flex; justify-content: space-between; font-size: 13px;
  margin-top: 6px; }
.aipm-label b { font-variant-numeric: tabular-nums; }
.aipm-head { display: flex; align-items: center; gap: 10px; flex-wrap: wrap;
  font-size: 15px; min-height: 44px; }
.aipm-head .aipm-quarter { font-size: 20px; font-weight: 700; }
.aipm-card { background: white; border: 1px solid #E5E5E5; border-radius: 4px;
  padding: 4px; min-width: 0; }
.aipm-grid3 { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 6px;
  margin-bottom: 6px; }
.aipm-grid2 { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 2fr); gap: 6px;
  margin-bottom: 6px; }
.aipm-timeline { height: 330px; overflow-y: auto; font-size: 12px; }
.aipm-timeline div { padding: 1px 2px; border-bottom: 1px solid #F0F0F0; }
.aipm-sev0 { color: #00734F; } .aipm-sev1 { color: #7A4A8C; }
.aipm-sev2 { color: #A35F00; } .aipm-sev3 { color: #C03800; font-weight: 700; }
.aipm-note { font-size: 12px; color: #555; }
.aipm-side h3 { font-size: 15px; margin: 10px 0 2px 0; }
"""


def _timeline_html(session: Session) -> str:
    rows = session.data.timeline[-TIMELINE_ROWS:][::-1]
    if not rows:
        return (
            "<div class='aipm-note'>Nothing has happened yet: events (funding rounds, "
            "shocks, refused credit, defaults…) appear here as the quarters run.</div>"
        )
    body = "".join(
        f"<div class='aipm-sev{r.severity}'><b>{r.period}</b> {html.escape(r.firm)}: "
        f"{html.escape(r.what)}{', ' + html.escape(r.amount) if r.amount else ''} "
        f"<span class='aipm-note'>— {html.escape(r.cause)}</span></div>"
        for r in rows
    )
    return body


@solara.component
def Timeline(session: Session, version: solara.Reactive[int]):
    """What happened and why, newest first (the model's event log, live)."""
    version.value  # re-render after each quarter  # noqa: B018
    with solara.Div(classes=["aipm-card"]):
        solara.HTML(
            tag="div",
            unsafe_innerHTML=f"<b>Timeline</b> <span class='aipm-note'>"
            f"({len(session.data.timeline)} events, newest first)</span>",
        )
        solara.HTML(tag="div", unsafe_innerHTML=_timeline_html(session), classes=["aipm-timeline"])


@solara.component
def Charts(session: Session, version: solara.Reactive[int]):
    """The gauges, timeline, network and panels of one session's model."""
    version.value  # re-render after each quarter  # noqa: B018
    data = session.data
    options = solara.use_memo(
        lambda: (
            {p.key: chart_option(p, data) for p in (*GAUGES, *PANELS)}
            | {"network": network_option(data)}
        ),
        [session],
    )

    def chart(panel, height: str = "230px"):
        # the first gauge tells the session how far the page has got (Play waits for it)
        report = {"on_received": session.page_has} if panel is GAUGES[0] else {}
        with solara.Div(classes=["aipm-card"]):
            LiveChart.element(
                option=options[panel.key],
                series=chart_series(panel, data),
                chart_key=panel.key,
                height=height,
                **report,
            )

    with solara.Div(classes=["aipm-grid3"]):
        for panel in GAUGES:
            chart(panel)
    with solara.Div(classes=["aipm-grid2"]):
        Timeline(session, version)
        with solara.Div(classes=["aipm-card"]):
            if loop_edges(data.names):
                solara.HTML(
                    tag="div",
                    unsafe_innerHTML=f"Round the loop so far: <b>${sum(data.loop_usd):,.1f} bn"
                    f"</b> of {LOOP[0]}'s revenue was its own money coming back",
                    classes=["aipm-note", "aipm-loop"],
                )
            LiveChart.element(
                option=options["network"],
                series=network_series(data),
                chart_key="network",
                height="332px",
            )
    with solara.Div(classes=["aipm-grid3"]):
        for panel in PANELS:
            chart(panel, "250px")


@solara.component
def Header(
    session: Session,
    version: solara.Reactive[int],
    playing: solara.Reactive[bool],
    on_step,
    on_reset,
):
    """Quarter reached, Step / Play / Reset."""
    version.value  # re-render after each quarter  # noqa: B018
    m = session.model
    total = m.params.quarters
    last = session.data.labels[m.quarter - 1] if m.quarter else "none yet"
    with solara.Div(classes=["aipm-head"]):
        solara.HTML(
            tag="span", unsafe_innerHTML=f"Quarter {m.quarter} of {total}", classes=["aipm-quarter"]
        )
        solara.Button(
            "Step", on_click=on_step, color="primary", disabled=playing.value or session.done
        )
        solara.Button(
            "❚❚ Pause" if playing.value else "▶ Play",
            on_click=lambda: playing.set(not playing.value),
            color="primary",
            disabled=session.done and not playing.value,
        )
        solara.Button("Reset", on_click=on_reset, outlined=True)
        defaults = sum(f.defaulted for f in m.firms)
        solara.HTML(
            tag="span",
            unsafe_innerHTML=f"last simulated: <b>{last}</b> · scenario <b>"
            f"{html.escape(m.params.name)}</b> · seed {session.settings.seed} · "
            f"deals {len(m.deals.signed)} · defaults <b>{defaults}</b>" + _outcome_html(session),
            classes=["aipm-note"],
        )


def _outcome_html(session: Session) -> str:
    """`` · outcome so far: <label>`` with its rule and figures as a tooltip (none at 0)."""
    found = session.outcome()
    if found is None:
        return ""
    label, rule = found
    when = "outcome" if session.done else "outcome so far"
    name = label.value.replace("_", " ")
    return f" · {when}: <b class='aipm-outcome' title='{html.escape(rule, quote=True)}'>{name}</b>"


@solara.component
def Page():
    """The app: a model of this session's own, its controls and its panels."""
    draft = solara.use_reactive(Settings())
    applied = solara.use_reactive(Settings())
    generation = solara.use_reactive(0)
    version = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    solara.use_memo(warm_up, [])
    session = solara.use_memo(lambda: Session(applied.value), [applied.value, generation.value])

    def bump() -> None:
        version.set(version.value + 1)

    def on_step() -> None:
        if session.step():
            bump()

    def on_reset() -> None:
        playing.set(False)
        applied.set(draft.value)
        generation.set(generation.value + 1)

    def play(cancel: threading.Event) -> None:
        while playing.value and not cancel.is_set():
            start = time.perf_counter()
            if not session.step():
                break
            bump()
            # at most one quarter ahead of the page: drawing overlaps the next quarter's
            # simulation, and Pause stops within a quarter of what the class sees
            session.wait_page(session.model.quarter - 1, timeout=PAGE_WAIT)
            cancel.wait(max(0.0, PLAY_INTERVAL - (time.perf_counter() - start)))
        if not cancel.is_set():
            playing.set(False)

    solara.use_thread(play, dependencies=[playing.value, session], intrusive_cancel=False)

    solara.Title("aipm — AI circular financing, quarter by quarter")
    solara.Style(_CSS)
    with solara.Row(gap="0px", style="align-items: flex-start; flex-wrap: nowrap"):
        with solara.Column(classes=["aipm-side"], gap="2px"):
            SettingsPanel(draft, applied.value, on_reset)
            ShockPanel(session, version, bump)
        with solara.Column(classes=["aipm-main"], gap="0px"):
            Header(session, version, playing, on_step, on_reset)
            Charts(session, version)
