"""The interactive app (``aipm app``): one model per browser session, live panels, shocks.

Serve it with ``aipm app`` (or ``solara run runs/app.py``). Every visitor gets a
model of their own, built inside the page (:class:`~runs.app_session.Session` held by
``solara.use_memo``): two browsers never share a run. The left column picks a
scenario, a seed and five multipliers of the scenario's own values (*Reset*
applies them) and applies shocks (:mod:`runs.app_shocks`); the top bar steps and
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
from dataclasses import replace

import solara
import solara.server.settings

from runs.app_charts import GAUGES, PANELS, chart_option, chart_series
from runs.app_network import network_option, network_series
from runs.app_session import MULTIPLIERS, Session, Settings, scenario_names, warm_up
from runs.app_shocks import (
    SHOCK_TABLES,
    Knob,
    current_value,
    knobs,
    parameter_shock,
    pending,
    schedule,
    shifted,
    shipped_shocks,
)
from runs.app_widget import LiveChart

__all__ = ["PLAY_INTERVAL", "Page"]

# the page is the whole screen (a projector in class): no "runs on Solara" banner over the
# panels, and the tab's title before the page sets its own
solara.server.settings.theme.show_banner = False
solara.server.settings.theme.title = "aipm"

#: Seconds between two quarters while playing (at most ~6 quarters per second).
PLAY_INTERVAL = 0.16
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
        with solara.Div(classes=["aipm-card"]):
            LiveChart.element(
                option=options[panel.key],
                series=chart_series(panel, data),
                chart_key=panel.key,
                height=height,
            )

    with solara.Div(classes=["aipm-grid3"]):
        for panel in GAUGES:
            chart(panel)
    with solara.Div(classes=["aipm-grid2"]):
        Timeline(session, version)
        with solara.Div(classes=["aipm-card"]):
            LiveChart.element(
                option=options["network"],
                series=network_series(data),
                chart_key="network",
                height="352px",
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
            f"deals {len(m.deals.signed)} · defaults <b>{defaults}</b>",
            classes=["aipm-note"],
        )


@solara.component
def LabelledSlider(label: str, value: float, on_value, lo: float, hi: float, help: str):
    """A slider with its short label and current value on one line above a full-width track."""
    solara.HTML(
        tag="div",
        unsafe_innerHTML=f"<span title='{html.escape(help)}'>{html.escape(label)}</span>"
        f"<b>× {value:.2f}</b>",
        classes=["aipm-label"],
    )
    _track(value, on_value, lo, hi, 0.05)


def _track(value: float, on_value, lo: float, hi: float, step: float):
    """A bare slider track, full width (its label and value are shown above it)."""
    return solara.v.Slider(
        v_model=value,
        on_v_model=lambda v: on_value(type(value)(v)),
        min=lo,
        max=hi,
        step=step,
        hide_details=True,
        dense=True,
        class_="aipm-track",
    )


@solara.component
def SettingsPanel(draft: solara.Reactive[Settings], applied: Settings, on_reset):
    """Scenario, seed and the five multipliers; Reset applies them."""
    s = draft.value
    solara.HTML(tag="h3", unsafe_innerHTML="Model")
    solara.Select(
        "Scenario",
        values=scenario_names(),
        value=s.scenario_name,
        on_value=lambda v: draft.set(replace(draft.value, scenario_name=v)),
        dense=True,
    )
    solara.HTML(
        tag="div", unsafe_innerHTML=f"<span>Seed</span><b>{s.seed}</b>", classes=["aipm-label"]
    )
    _track(s.seed, lambda v: draft.set(replace(draft.value, seed=v)), 0, 99, 1)
    for mult in MULTIPLIERS:
        LabelledSlider(
            mult.label,
            getattr(s, mult.name),
            lambda v, name=mult.name: draft.set(replace(draft.value, **{name: v})),
            mult.lo,
            mult.hi,
            mult.help,
        )
    if s != applied:
        solara.HTML(
            tag="div",
            unsafe_innerHTML="Changed: <b>Reset</b> runs the model with these settings.",
            classes=["aipm-note"],
        )
    solara.Button(
        "Reset with these settings",
        on_click=on_reset,
        outlined=True,
        block=True,
        style="margin-top: 6px",
    )


def _describe(shocks) -> str:
    return "; ".join(
        ", ".join(f"{k} = {v}" for k, v in s.set.items())
        + (f" sentiment {s.sentiment:+g}" if s.sentiment else "")
        for s in shocks
    )


def _picked_knob(params, table: str, path: str) -> Knob | None:
    """The parameter picked in ``table`` (its first one until another is picked)."""
    in_table = [k for k in knobs(params) if k.path.startswith(table + ".")]
    return next((k for k in in_table if k.path == path), in_table[0] if in_table else None)


@solara.component
def ParameterPicker(
    session: Session,
    table: solara.Reactive[str],
    path: solara.Reactive[str],
    edits: solara.Reactive[dict],
    version: solara.Reactive[int],
):
    """A table, one of its parameters (with its range and current value) and a new value.

    The new value shown is the parameter's current value until it is edited (``edits``
    keeps the edited values by path).
    """
    version.value  # re-render after each quarter (a shock may have changed the value)  # noqa: B018
    params = session.model.params
    solara.Select("Table", values=list(SHOCK_TABLES), value=table, dense=True)
    knob = _picked_knob(params, table.value, path.value)
    if knob is None:
        return
    names = [k.path.split(".", 1)[1] for k in knobs(params) if k.path.startswith(table.value + ".")]
    solara.Select(
        "Parameter",
        values=names,
        value=knob.path.split(".", 1)[1],
        on_value=lambda n: path.set(f"{table.value}.{n}"),
        dense=True,
    )
    now = current_value(params, knob.path)
    allowed = "on/off" if knob.kind is bool else f"{knob.lo} … {knob.hi}"
    solara.HTML(
        tag="div",
        unsafe_innerHTML=html.escape(f"{knob.description} (now {now}; allowed {allowed})"),
        classes=["aipm-note"],
    )
    shown = edits.value.get(knob.path, now)

    def edit(v: object) -> None:
        edits.set({**edits.value, knob.path: v})

    if knob.kind is bool:
        solara.Switch(label="on", value=bool(shown), on_value=edit)
    else:
        solara.InputFloat("New value", value=float(shown), on_value=edit, dense=True)  # type: ignore[arg-type]


@solara.component
def ShockPanel(session: Session, version: solara.Reactive[int], on_change):
    """Pick a shipped shock or a parameter change; apply it now or at a chosen quarter."""
    version.value  # re-render after each quarter ("now" moves on)  # noqa: B018
    choices = solara.use_memo(shipped_shocks, [])
    kind = solara.use_reactive("Shipped shock")
    choice = solara.use_reactive(choices[0].label if choices else "")
    table = solara.use_reactive(SHOCK_TABLES[0])
    path = solara.use_reactive("")
    edits = solara.use_reactive({})
    when = solara.use_reactive("now")
    message = solara.use_reactive(("", ""))
    m = session.model
    labels = session.data.labels
    future = labels[m.quarter :]
    at = when.value if when.value in future[1:] else "now"

    solara.HTML(tag="h3", unsafe_innerHTML="Shock")
    solara.ToggleButtonsSingle(value=kind, values=["Shipped shock", "Parameter"], dense=True)
    if kind.value == "Shipped shock":
        solara.Select("Shock", values=[c.label for c in choices], value=choice, dense=True)
        picked = next((c for c in choices if c.label == choice.value), None)
        if picked is not None:
            solara.HTML(
                tag="div",
                unsafe_innerHTML=html.escape(f"{picked.description}: {_describe(picked.shocks)}"),
                classes=["aipm-note"],
            )
    else:
        ParameterPicker(session, table, path, edits, version)
    if future:
        solara.Select(
            f"When (now = {future[0]})",
            values=["now", *future[1:]],
            value=at,
            on_value=when.set,
            dense=True,
        )

    def apply() -> None:
        q = m.quarter if at == "now" else labels.index(at)
        try:
            if kind.value == "Shipped shock":
                picked = next(c for c in choices if c.label == choice.value)
                shocks = shifted(picked.shocks, m.params, q)
            else:
                knob = _picked_knob(m.params, table.value, path.value)
                if knob is None:
                    raise ValueError("pick a parameter first")
                v = edits.value.get(knob.path, current_value(m.params, knob.path))
                shocks = [parameter_shock(m.params, knob.path, v, q)]
            with session.lock:
                schedule(m, shocks)
        except (ValueError, StopIteration) as exc:
            message.set(("error", str(exc) or "pick a shock first"))
            return
        message.set(("ok", f"scheduled for {', '.join(s.at for s in shocks)}"))
        on_change()

    solara.Button("Apply shock", on_click=apply, color="warning", block=True, disabled=not future)
    status, text = message.value
    if text:
        (solara.Error if status == "error" else solara.Success)(text, dense=True)
    waiting = pending(m)
    if waiting:
        solara.HTML(
            tag="div",
            unsafe_innerHTML="Scheduled: "
            + "; ".join(html.escape(f"{s.at} {s.note or _describe([s])}") for s in waiting),
            classes=["aipm-note"],
        )


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
