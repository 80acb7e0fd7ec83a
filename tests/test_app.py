"""The app's pure parts, without a browser: session factory, shocks, data shaping for plots."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runs.app_charts import GAUGES, PANELS, chart_option, chart_series
from runs.app_data import LiveData
from runs.app_network import LOOP_COLOUR, loop_edges, network_option, network_series
from runs.app_session import (
    MULTIPLIERS,
    SCENARIO_DIR,
    Session,
    Settings,
    app_scenario,
    build_model,
    scenario_names,
)
from runs.app_shocks import (
    current_value,
    knobs,
    parameter_shock,
    pending,
    schedule,
    shifted,
    shipped_shocks,
)
from runs.scenario import load_scenario
from runs.simulate import deals_frame
from world.events import EventKind
from world.model import AIEconomy
from world.params import with_overrides


@pytest.fixture(scope="module")
def stepped() -> Session:
    """A baseline session eight quarters in."""
    s = Session(Settings(seed=3))
    for _ in range(8):
        assert s.step()
    return s


# -- sessions --------------------------------------------------------------------------
def test_sessions_are_independent_models():
    a, b = Session(Settings()), Session(Settings())
    assert a.model is not b.model and a.data is not b.data
    a.step()
    a.step()
    assert (a.model.quarter, b.model.quarter) == (2, 0)
    assert len(a.data.column("users_m")) == 2 and b.data.column("users_m") == []
    b.step()
    b.step()
    # the same settings give the same run, whichever session steps first
    assert a.model.records.system_rows == b.model.records.system_rows


def test_session_stops_at_the_horizon():
    s = Session(Settings())
    s.model.params = with_overrides(s.model.params, {"quarters": 2})
    assert s.step() and s.step()
    assert s.done and not s.step() and s.model.quarter == 2


@pytest.mark.parametrize(
    ("scenario", "seed", "label"), [("baseline", 0, "bust"), ("productive_future", 1, "boom")]
)
def test_outcome_at_the_horizon_is_the_runs_regime(scenario, seed, label):
    """The header's label: none before quarter 1, provisional meanwhile, and at the
    horizon the regime ``aipm run`` gives the same scenario and seed (the two runs
    docs/howto/teach-with-the-app.md, story 3, names)."""
    from runs.simulate import simulate
    from world.regimes import Regime, regime_rule

    s = Session(Settings(scenario_name=scenario, seed=seed))
    assert s.outcome() is None
    s.step()
    first, rule = s.outcome()
    assert isinstance(first, Regime) and rule.startswith(regime_rule(first))
    while s.step():
        pass
    expected = simulate(load_scenario(SCENARIO_DIR / f"{scenario}.toml"), seed, firm_rows=False)
    last, text = s.outcome()
    assert last.value == expected.summary["regime"] == label
    # the tooltip gives the figures the label was read from: the whole run's at the horizon
    summary = expected.summary
    assert f"{summary['regime_value_drawdown']:.0%}" in text
    assert f"{summary['regime_value_end_to_peak']:.0%} of its peak" in text
    assert f"AI revenue {summary['regime_revenue_growth']:.2f}×" in text


def test_settings_reach_the_model():
    base = build_model(Settings())
    m = build_model(Settings(seed=5, power_cap=0.5, paid_conversion=2.0, milestone_per_gw=0.1))
    assert m.params.buildout.power_cap_gw == pytest.approx(base.params.buildout.power_cap_gw / 2)
    assert m.params.demand.conversion_speed == pytest.approx(
        min(1.0, 2 * base.params.demand.conversion_speed)
    )
    per_gw = [
        (d.per_gw, e.per_gw)
        for d, e in zip(m.params.deals, base.params.deals, strict=True)
        if getattr(d, "per_gw", None)
    ]
    assert per_gw and all(x == pytest.approx(0.1 * y) for x, y in per_gw)


@pytest.mark.parametrize("factor", [0.0, 0.5, 2.0])
def test_fundamentalist_multiplier_keeps_a_valid_mix(factor):
    inv = app_scenario(fundamentalists=factor).investors
    base = app_scenario().investors
    assert inv.share_fundamentalist == pytest.approx(min(1.0, base.share_fundamentalist * factor))
    total = inv.share_fundamentalist + inv.share_chartist + inv.share_noise
    assert total == pytest.approx(1.0)
    assert inv.share_chartist / inv.share_noise == pytest.approx(
        base.share_chartist / base.share_noise
    )


def test_unknown_scenario_is_a_one_line_error():
    with pytest.raises(ValueError, match=r"scenario: unknown 'nope'; allowed: .*baseline"):
        build_model(Settings(scenario_name="nope"))


def test_every_scenario_and_multiplier_builds():
    assert "baseline" in scenario_names()
    for name in scenario_names():
        assert build_model(Settings(scenario_name=name)).params.name
    assert {m.name for m in MULTIPLIERS} <= set(Settings.__dataclass_fields__)
    assert all(len(m.label) <= 20 for m in MULTIPLIERS)  # short labels: slider tracks stay wide


# -- shocks ----------------------------------------------------------------------------
def test_shipped_shocks_are_the_shock_scenarios():
    choices = shipped_shocks()
    files = sorted(p.stem for p in SCENARIO_DIR.glob("shock_*.toml"))
    assert [c.key for c in choices] == files
    assert all(c.shocks and c.label and c.description for c in choices)


def test_shifting_keeps_the_gaps_between_shocks():
    jump = next(c for c in shipped_shocks() if len(c.shocks) > 1)
    params = build_model(Settings()).params
    gaps = [params.relative(s.at) for s in jump.shocks]
    moved = shifted(jump.shocks, params, 10)
    got = [params.relative(s.at) for s in moved]
    assert got[0] == 10
    assert [g - got[0] for g in got] == [g - gaps[0] for g in gaps]
    assert [s.set for s in moved] == [s.set for s in jump.shocks]


@pytest.mark.parametrize("key", ["shock_supplier_stops_financing", "shock_rate_hike"])
def test_a_shipped_shock_applied_from_the_app_equals_the_scenario_file(key):
    """The app's path (baseline + scheduled shock) is the model's own: same run as the file."""
    shock_file = load_scenario(SCENARIO_DIR / f"{key}.toml")
    reference = AIEconomy(shock_file, rng=2)
    session = Session(Settings(seed=2))
    choice = next(c for c in shipped_shocks() if c.key == key)
    first = min(shock_file.relative(s.at) for s in choice.shocks)
    schedule(session.model, shifted(choice.shocks, session.model.params, first))
    for _ in range(first + 3):
        reference.step()
        session.step()
    assert session.model.records.system_rows == reference.records.system_rows
    assert [e for e in session.model.events.events if e.kind is EventKind.SHOCK] == [
        e for e in reference.events.events if e.kind is EventKind.SHOCK
    ]


def test_a_shock_now_hits_the_next_quarter_and_shows_in_the_timeline():
    s = Session(Settings())
    for _ in range(3):
        s.step()
    shock = parameter_shock(s.model.params, "behaviour.vendor_financing", False, s.model.quarter)
    schedule(s.model, [shock])
    assert pending(s.model) == [shock]
    assert s.model.params.behaviour.vendor_financing  # nothing changes before the quarter runs
    s.step()
    assert not s.model.params.behaviour.vendor_financing
    assert pending(s.model) == []
    hit = [r for r in s.data.timeline if r.what == "shock"]
    assert len(hit) == 1 and hit[0].period == s.data.labels[3]
    assert "vendor_financing" in hit[0].cause


def test_a_shock_at_a_later_quarter_waits_for_it():
    s = Session(Settings())
    shock = parameter_shock(s.model.params, "credit.risk_free", 0.09, 2)
    schedule(s.model, [shock])
    s.step()
    s.step()
    assert s.model.params.credit.risk_free != 0.09
    s.step()
    assert s.model.params.credit.risk_free == 0.09


def test_a_shock_in_the_past_is_refused():
    s = Session(Settings())
    s.step()
    s.step()
    shock = parameter_shock(s.model.params, "credit.risk_free", 0.09, 1)
    with pytest.raises(ValueError, match=r"at: \d{4}Q\d has already been simulated"):
        schedule(s.model, [shock])
    assert pending(s.model) == []


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("demand.conversion_speed", 2.0, r"demand\.conversion_speed"),
        ("demand.nope", 1.0, r"demand\.nope: not a parameter"),
        ("firms.OpenAI.opex", 1.0, r"not a parameter a shock may change"),
    ],
)
def test_bad_parameter_shocks_are_one_line_errors(path, value, message):
    params = build_model(Settings()).params
    with pytest.raises(ValueError, match=message) as err:
        parameter_shock(params, path, value, 3)
    assert "\n" not in str(err.value)


def test_every_knob_accepts_its_current_value():
    params = build_model(Settings()).params
    ks = knobs(params)
    assert len(ks) > 40
    assert {k.path.split(".")[0] for k in ks} == {
        "demand",
        "buildout",
        "behaviour",
        "credit",
        "market",
        "stress",
    }
    for k in ks:
        value = current_value(params, k.path)
        assert isinstance(value, k.kind)
        if k.kind is not bool:
            assert k.lo is not None or k.hi is not None, k.path
        shock = parameter_shock(params, k.path, value, 0)
        assert shock.set == {k.path: value}


# -- data shaping ----------------------------------------------------------------------
def _as_json_numbers(values):
    return [None if v is None or not math.isfinite(v) else float(v) for v in values]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.booleans(), min_size=1, max_size=9))
def test_live_data_read_in_steps_equals_the_records(update_after):
    """Reading after every Step or after several gives the model's records, nothing else."""
    model = build_model(Settings(seed=1))
    live = LiveData(model)
    for update in update_after:
        model.step()
        if update:
            live.update()
    live.update()
    system = model.records.system_frame()
    firms = model.records.firms_frame()
    assert live.quarters_done == len(update_after) == len(system)
    for col in ("users_m", "gears_capex_to_revenue", "mean_sentiment", "n_defaults"):
        assert live.column(col) == _as_json_numbers(system[col].tolist())
    assert live.outcomes == system["funding_round_outcome"].tolist()
    for firm in live.names:
        rows = firms[firms["firm"] == firm]
        for col in ("valuation", "leverage", "capex"):
            assert live.firm_column(col, firm) == _as_json_numbers(rows[col].tolist())
    assert len(live.timeline) == len(model.events)
    assert live.loop_usd == LiveData(model).loop_usd  # read quarter by quarter or at once
    deals = deals_frame(model)
    totals = deals.groupby(["payer", "payee"])["value"].sum()
    assert {(e.payer, e.payee): e.value for e in live.network()} == pytest.approx(totals.to_dict())


@pytest.mark.parametrize("panel", [*GAUGES, *PANELS], ids=lambda p: p.key)
def test_every_panel_has_a_fixed_quarter_axis_and_matching_series(panel, stepped):
    data = stepped.data
    option = chart_option(panel, data)
    series = chart_series(panel, data)
    assert option["xAxis"]["data"] == data.labels
    assert len(data.labels) == stepped.model.params.quarters  # the whole run, not the quarters done
    assert option["xAxis"]["quarterAxis"] is True
    assert len(series) == len(option["series"]) >= 1
    for s in series:
        assert len(s["data"]) == stepped.model.quarter
    json.dumps([option, series], allow_nan=False)  # what the browser receives: plain JSON


def test_panels_plot_the_article_columns(stepped):
    """Each gauge and panel plots the recorded column (world/metrics.py), scaled, nothing else."""
    data, model = stepped.data, stepped.model
    system, firms = model.records.system_frame(), model.records.firms_frame()

    def plotted(panel_key: str, k: int) -> list:
        panel = next(p for p in (*GAUGES, *PANELS) if p.key == panel_key)
        values = chart_series(panel, data)[k]["data"]
        return [v["value"] if isinstance(v, dict) else v for v in values]

    def firm(name: str, column: str) -> list:
        return firms.loc[firms["firm"] == name, column].tolist()

    approx = lambda xs: pytest.approx(xs, rel=1e-3, abs=1e-9)  # noqa: E731 (4 digits sent)
    assert plotted("engine", 0) == approx((100 * system["engine_mau_growth"]).tolist())
    assert plotted("engine", 1) == approx((100 * system["engine_paid_growth"]).tolist())
    assert plotted("gears", 0) == approx(system["gears_capex_to_revenue"].tolist())
    assert plotted("gears", 1) == approx(firm("Oracle", "capex_to_revenue"))
    assert plotted("gears", 2) == approx(firm("Microsoft", "capex_to_revenue"))
    assert plotted("fuel", 0) == approx(system["fuel_compute_efficiency"].tolist())
    assert plotted("funding_gap", 0) == approx(firm("OpenAI", "free_cash_flow"))
    assert plotted("round_trip", 0) == approx(system["round_trip_revenue"].tolist())
    loops = model.records.loops_frame()
    ours = loops[(loops["origin"] == "NVIDIA") & (loops["via"] == "OpenAI")]
    ours = ours[ours["payer"] == "Oracle"].groupby("quarter")["usd"].sum()
    expected = [float(ours.get(q, 0.0)) for q in range(model.quarter)]
    assert plotted("round_trip", 1) == approx(expected)
    names = [s["name"] for s in chart_option(GAUGES[1], data)["series"]]
    assert names == ["all clouds (AI)", "Oracle", "Microsoft"]


def test_network_highlights_the_loop(stepped):
    data = stepped.data
    loop = loop_edges(data.names)
    assert loop == [("NVIDIA", "OpenAI"), ("OpenAI", "Oracle"), ("Oracle", "NVIDIA")]
    (graph,) = network_series(data)
    coloured = {
        (link["source"], link["target"])
        for link in graph["links"]
        if link["lineStyle"]["color"] == LOOP_COLOUR
    }
    assert coloured == set(loop)  # every loop edge has been signed by then, and only they
    widths = {(lk["source"], lk["target"]): lk["lineStyle"]["width"] for lk in graph["links"]}
    values = {(e.payer, e.payee): e.value for e in data.network()}
    biggest = max(values, key=values.get)
    assert widths[biggest] == max(widths.values())
    assert "the loop" in network_option(data)["title"]["subtext"]
    json.dumps(graph, allow_nan=False)


def test_no_loop_without_its_firms(stepped):
    assert loop_edges(["NVIDIA", "OpenAI"]) == []


def test_play_waits_for_the_page():
    import threading

    s = Session(Settings())
    assert not s.wait_page(1, timeout=0.01)  # the page has nothing yet
    waiter = threading.Thread(target=lambda: s.page_has(2))
    waiter.start()
    assert s.wait_page(2, timeout=10.0)
    waiter.join()
    assert s.wait_page(1, timeout=0.0)  # an older quarter is there already


def _story_run(shock: str | None, quarters: int = 13) -> LiveData:
    """The baseline (seed 0) to 2026Q2, the teaching story's shock (if any), on to 2028."""
    s = Session(Settings())
    for _ in range(5):
        s.step()
    m = s.model
    if shock == "paid":
        schedule(m, [parameter_shock(m.params, "demand.conversion_speed", 0.0, m.quarter)])
    elif shock == "nvidia":
        stops = next(c for c in shipped_shocks() if c.key == "shock_supplier_stops_financing")
        schedule(m, shifted(stops.shocks, m.params, m.quarter))
    for _ in range(quarters - 5):
        s.step()
    return s.data


def test_the_teaching_stories_hold():
    """What docs/howto/teach-with-the-app.md tells the class to look at."""
    base, paid, nvidia = _story_run(None), _story_run("paid"), _story_run("nvidia")
    engine = next(p for p in GAUGES if p.key == "engine")
    users, paid_growth = (s["data"] for s in chart_series(engine, base))
    assert paid_growth[1] > 25 and paid_growth[-1] < 5  # the stall, in the baseline
    assert all(p > u for p, u in zip(paid_growth[1:], users[1:], strict=True))
    users, paid_growth = (s["data"] for s in chart_series(engine, paid))
    assert all(abs(p - u) < 0.5 for p, u in zip(paid_growth[6:], users[6:], strict=True))
    # the quarters after the shock (2026Q2) but the first: in 2026Q3 the providers still
    # pay NVIDIA for deliveries ordered before the shock (the opening order book runs off
    # until then), partly with money it lent them earlier
    after = slice(7, None)
    base_rt = sum(v or 0.0 for v in base.column("round_trip_revenue")[after])
    shock_rt = sum(v or 0.0 for v in nvidia.column("round_trip_revenue")[after])
    assert shock_rt < 0.1 * base_rt
