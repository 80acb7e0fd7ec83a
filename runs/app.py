"""The interactive app: a Mesa SolaraViz page of the AI economy (``aipm app``).

Serve it with ``aipm app`` (or ``solara run runs/app.py``). The sidebar picks a
scenario from ``scenarios/*.toml``, a seed and five multipliers of the scenario's
own values (1 = as in the scenario); *Reset* rebuilds the model with them, *Step*
runs one quarter, ▶ plays. The page shows the quarter, the three gauges (one
panel each), the valuations and the deal network, redrawn every quarter.

SolaraViz rebuilds the model from keyword parameters, so :class:`AppEconomy` is a
thin :class:`~world.model.AIEconomy` that takes them and resolves the scenario.
"""

from __future__ import annotations

from pathlib import Path

import solara
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from runs import figures
from runs.scenario import apply_overrides, load_scenario, parse_scenario
from runs.simulate import deals_frame
from runs.style import styled
from world.model import AIEconomy
from world.params import Scenario

__all__ = ["AppEconomy", "app_scenario", "page", "scenario_names"]

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"


def scenario_names() -> list[str]:
    """Names of the scenario files the app offers (``scenarios/*.toml``)."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))


def app_scenario(
    scenario_name: str = "baseline",
    milestone_per_gw: float = 1.0,
    paid_conversion: float = 1.0,
    token_price_decline: float = 1.0,
    power_cap: float = 1.0,
    fundamentalists: float = 1.0,
) -> Scenario:
    """The named scenario with the sliders' multipliers applied (1.0 = unchanged).

    ``milestone_per_gw`` scales every per-GW equity tranche (e.g. NVIDIA's $10B per
    GW into OpenAI), ``paid_conversion`` the speed at which users convert to paying,
    ``token_price_decline`` the fall of the API token price per quarter, ``power_cap``
    the new GW that can be energised per quarter, ``fundamentalists`` the initial
    share of fundamentalist investors (chartists and noise traders fill the rest in
    proportion).
    """
    s = load_scenario(SCENARIO_DIR / f"{scenario_name}.toml")
    d, b = s.demand, s.buildout
    overrides: dict[str, object] = {
        "demand.conversion_speed": min(1.0, d.conversion_speed * paid_conversion),
        "demand.token_price_decline": min(0.95, d.token_price_decline * token_price_decline),
        "buildout.power_cap_gw": max(0.01, b.power_cap_gw * power_cap),
    }
    mix = getattr(s, "investors", None)  # the investor population's initial strategy shares
    if fundamentalists != 1.0 and mix is not None and hasattr(mix, "share_fundamentalist"):
        f0 = mix.share_fundamentalist
        f1 = min(1.0, f0 * fundamentalists)
        rest = (1.0 - f1) / (1.0 - f0) if f0 < 1.0 else 0.0
        overrides["investors.share_fundamentalist"] = f1
        overrides["investors.share_chartist"] = mix.share_chartist * rest
        overrides["investors.share_noise"] = 1.0 - f1 - mix.share_chartist * rest
    s = apply_overrides(s, overrides)
    if milestone_per_gw == 1.0:
        return s
    # deals are a tuple: scale the per-GW tranches on the dumped data
    data = s.model_dump(mode="json")
    for deal in data["deals"]:
        if deal.get("per_gw"):
            deal["per_gw"] *= milestone_per_gw
    return parse_scenario(data)


class AppEconomy(AIEconomy):
    """An :class:`~world.model.AIEconomy` built from the app's keyword parameters.

    Stops (``running = False``) at the scenario's horizon.
    """

    def __init__(
        self,
        scenario_name: str = "baseline",
        seed: int = 0,
        milestone_per_gw: float = 1.0,
        paid_conversion: float = 1.0,
        token_price_decline: float = 1.0,
        power_cap: float = 1.0,
        fundamentalists: float = 1.0,
    ) -> None:
        params = app_scenario(
            scenario_name,
            milestone_per_gw,
            paid_conversion,
            token_price_decline,
            power_cap,
            fundamentalists,
        )
        super().__init__(params, rng=int(seed))

    def step(self) -> None:
        """Simulate one quarter; stop at the horizon."""
        super().step()
        self.running = self.quarter < self.params.quarters


def _slider(label: str, lo: float = 0.0, hi: float = 2.0) -> dict[str, object]:
    return {"type": "SliderFloat", "value": 1.0, "label": label, "min": lo, "max": hi, "step": 0.05}


model_params: dict[str, object] = {
    "scenario_name": {
        "type": "Select",
        "value": "baseline",
        "values": scenario_names(),
        "label": "Scenario",
    },
    "seed": {"type": "SliderInt", "value": 0, "label": "Seed", "min": 0, "max": 99, "step": 1},
    "milestone_per_gw": _slider("Milestone USD per GW (× scenario)"),
    "paid_conversion": _slider("Paid-user conversion speed (× scenario)"),
    "token_price_decline": _slider("Token price decline (× scenario)"),
    "power_cap": _slider("Power cap, new GW per quarter (× scenario)", 0.1, 3.0),
    "fundamentalists": _slider("Fundamentalist investors (× scenario)"),
}


def _waiting(title: str) -> Figure:
    with styled():
        fig = Figure(figsize=(9.0, 4.0), layout="constrained")
        ax = fig.subplots()
        ax.set_title(title)
        ax.text(
            0.5,
            0.5,
            "press Step or ▶ to simulate a quarter",
            ha="center",
            va="center",
            transform=ax.transAxes,
            color="#7F7F7F",
        )
        ax.set_axis_off()
    return fig


def _show(fig: Figure) -> None:
    solara.FigureMatplotlib(fig, format="png")


def QuarterCard(model: AppEconomy) -> None:
    """Which quarter the model has reached."""
    update_counter.get()
    done, total = model.quarter, model.params.quarters
    last = model.records.system_rows[-1][1] if done else "none yet"
    solara.Markdown(
        f"## Quarter {done} of {total}\n\n"
        f"Scenario **{model.params.name}**. Last quarter simulated: **{last}**.  \n"
        f"Deals signed so far: {len(model.deals.signed)}."
    )


def _gauge(column: str, title: str):
    def Gauge(model: AppEconomy) -> None:
        update_counter.get()
        if not model.records.system_rows:
            _show(_waiting(title))
            return
        _show(figures.gauges_figure(model.records.system_frame(), gauges=[column]))

    Gauge.__name__ = Gauge.__qualname__ = f"Gauge_{column}"
    Gauge.__doc__ = f"{title}, up to the current quarter."
    return Gauge


EngineGauge = _gauge("engine_user_growth", "Engine: lab users growth")
GearsGauge = _gauge("gears_capex_to_revenue", "Gears: cloud capex / cloud revenue")
FuelGauge = _gauge("fuel_compute_efficiency", "Fuel: useful compute per USD bn invested")


def ValuationsPlot(model: AppEconomy) -> None:
    """Valuation of each firm (log scale)."""
    update_counter.get()
    if not model.records.firm_rows:
        _show(_waiting("Valuations by firm"))
        return
    _show(figures.valuations_figure(model.records.firms_frame()))


def NetworkPlot(model: AppEconomy) -> None:
    """The deal network: every deal signed so far."""
    update_counter.get()
    if not model.records.firm_rows:
        _show(_waiting("The deal network"))
        return
    deals = deals_frame(model)
    latest = int(deals["quarter"].max())
    _show(figures.network_figure(deals, model.records.firms_frame(), quarters=[latest]))


model = AppEconomy()
page = SolaraViz(
    model,
    components=[QuarterCard, EngineGauge, GearsGauge, FuelGauge, ValuationsPlot, NetworkPlot],
    model_params=model_params,
    name="aipm — AI circular financing, quarter by quarter",
)
