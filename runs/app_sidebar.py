"""The app's left column: the model's settings and the shock panel.

:func:`SettingsPanel` holds the scenario, the seed and the five multipliers of
:data:`~runs.app_session.MULTIPLIERS` (short labels, values shown above full-width
tracks; *Reset* applies them). :func:`ShockPanel` picks a shipped shock or a parameter
change and schedules it now or at a later quarter (:mod:`runs.app_shocks`).
"""

from __future__ import annotations

import html
from dataclasses import replace

import solara

from runs.app_session import MULTIPLIERS, Session, Settings, scenario_names
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

__all__ = ["SettingsPanel", "ShockPanel"]


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
