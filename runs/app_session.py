"""The app's model factory: one model per browser session, built from the sidebar's settings.

Nothing here knows about the page: :class:`Settings` is what the sidebar holds,
:func:`build_model` turns it into a fresh :class:`~world.model.AIEconomy`, a
:class:`Session` holds one visitor's model and the data its panels plot, and
:func:`warm_up` loads the model's compiled kernels once per server process so that a
visitor's first Step is as fast as the others.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from runs.app_data import LiveData
from runs.scenario import apply_overrides, load_scenario, parse_scenario
from runs.summary import paths_of_records
from world.model import AIEconomy
from world.params import Scenario
from world.regimes import Regime, regime_rule

__all__ = [
    "MULTIPLIERS",
    "SCENARIO_DIR",
    "Multiplier",
    "Session",
    "Settings",
    "app_scenario",
    "build_model",
    "scenario_names",
    "warm_up",
]

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"


def scenario_names(directory: Path = SCENARIO_DIR) -> list[str]:
    """Names of the scenario files the app offers (``scenarios/*.toml``)."""
    return sorted(p.stem for p in directory.glob("*.toml"))


@dataclass(frozen=True)
class Multiplier:
    """One sidebar slider: a multiple of the scenario's own value (1 = unchanged).

    Attributes
    ----------
    name
        Keyword of :func:`app_scenario` (and field of :class:`Settings`).
    label
        Short label shown above the slider.
    help
        One line shown as the slider's tooltip.
    lo, hi
        Slider range (multiples of the scenario's value).
    """

    name: str
    label: str
    help: str
    lo: float = 0.0
    hi: float = 2.0


MULTIPLIERS: tuple[Multiplier, ...] = (
    Multiplier(
        "milestone_per_gw",
        "Milestone $ per GW",
        "every per-GW equity tranche (NVIDIA's $10B per GW into OpenAI)",
    ),
    Multiplier("paid_conversion", "Paid conversion", "speed at which users convert to paying"),
    Multiplier(
        "token_price_decline", "Token price fall", "fall of the API token price per quarter"
    ),
    Multiplier("power_cap", "Power cap", "new GW the grid can energise per quarter", 0.1, 3.0),
    Multiplier("fundamentalists", "Fundamentalists", "initial share of fundamentalist investors"),
)


@dataclass(frozen=True)
class Settings:
    """What the sidebar holds: the scenario, the seed and the multipliers (1 = unchanged)."""

    scenario_name: str = "baseline"
    seed: int = 0
    milestone_per_gw: float = 1.0
    paid_conversion: float = 1.0
    token_price_decline: float = 1.0
    power_cap: float = 1.0
    fundamentalists: float = 1.0


def app_scenario(
    scenario_name: str = "baseline",
    milestone_per_gw: float = 1.0,
    paid_conversion: float = 1.0,
    token_price_decline: float = 1.0,
    power_cap: float = 1.0,
    fundamentalists: float = 1.0,
    *,
    directory: Path = SCENARIO_DIR,
) -> Scenario:
    """The named scenario with the sliders' multipliers applied (1.0 = unchanged).

    ``milestone_per_gw`` scales every per-GW equity tranche (e.g. NVIDIA's $10B per
    GW into OpenAI), ``paid_conversion`` the speed at which users convert to paying,
    ``token_price_decline`` the fall of the API token price per quarter, ``power_cap``
    the new GW that can be energised per quarter, ``fundamentalists`` the initial
    share of fundamentalist investors (chartists and noise traders fill the rest in
    proportion). Results are clipped to the parameters' allowed ranges.

    Raises
    ------
    ValueError
        For a scenario name that is not a file of ``directory``.
    """
    names = scenario_names(directory)
    if scenario_name not in names:
        raise ValueError(f"scenario: unknown {scenario_name!r}; allowed: {', '.join(names)}")
    s = load_scenario(directory / f"{scenario_name}.toml")
    d, b = s.demand, s.buildout
    overrides: dict[str, object] = {
        "demand.conversion_speed": min(1.0, d.conversion_speed * paid_conversion),
        "demand.token_price_decline": min(0.95, d.token_price_decline * token_price_decline),
        "buildout.power_cap_gw": max(0.01, b.power_cap_gw * power_cap),
    }
    mix = s.investors
    if fundamentalists != 1.0:
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


def build_model(settings: Settings, *, directory: Path = SCENARIO_DIR) -> AIEconomy:
    """A fresh model for one browser session (never shared between sessions)."""
    params = app_scenario(
        settings.scenario_name,
        settings.milestone_per_gw,
        settings.paid_conversion,
        settings.token_price_decline,
        settings.power_cap,
        settings.fundamentalists,
        directory=directory,
    )
    return AIEconomy(params, rng=int(settings.seed))


@cache
def warm_up() -> None:
    """Load the model's compiled (numba) kernels once per process: one quarter of a throwaway model.

    The first quarter a process simulates loads the kernels from numba's cache
    (≈ 0.2 s); doing it when the first page opens keeps every Step of every visitor
    equally fast.
    """
    build_model(Settings()).step()


class Session:
    """One visitor's run: a model of its own, the panels' data, and a lock.

    The page builds one per browser session (and a new one on Reset); Step and Play
    (a background thread) both go through :meth:`step`, one quarter at a time.
    """

    def __init__(self, settings: Settings, *, directory: Path = SCENARIO_DIR) -> None:
        self.settings = settings
        self.model = build_model(settings, directory=directory)
        self.data = LiveData(self.model)
        self.lock = threading.Lock()
        self._shown = threading.Condition()
        self.shown = 0  # quarters the page has received (see :meth:`page_has`)

    @property
    def done(self) -> bool:
        """True once the scenario's horizon is reached."""
        return self.model.quarter >= self.model.params.quarters

    def step(self) -> bool:
        """Simulate one quarter and gather its data (False, doing nothing, at the horizon)."""
        with self.lock:
            if self.done:
                return False
            self.model.step()
            self.data.update()
            return True

    def outcome(self) -> tuple[Regime, str] | None:
        """The regime label of the quarters simulated so far and its explanation (None before any).

        The label of :func:`world.regimes.classify_regime` on the run so far — the same
        rule ``aipm run`` applies to a whole run, so at the horizon both agree. Before
        the horizon it is provisional: a boom so far may still end in a bust. The
        explanation is the label's rule and the run's figures it was read from, so a
        class can see how near the line a run is.
        """
        with self.lock:
            if self.model.quarter == 0:
                return None
            paths = paths_of_records(self.model.records)
            label, st = paths.regime, paths.regime_stats
        figures = (
            f"This run so far: the AI-exposed value is {st.value_growth:.2f}× its start and "
            f"{st.value_end_to_peak:.0%} of its peak, its largest fall {st.value_drawdown:.0%}; "
            f"AI revenue {st.revenue_growth:.2f}× its start."
        )
        return label, f"{regime_rule(label)} {figures}"

    def page_has(self, quarters: int) -> None:
        """The page reports it has received ``quarters`` quarters (wakes :meth:`wait_page`)."""
        with self._shown:
            self.shown = quarters
            self._shown.notify_all()

    def wait_page(self, quarters: int, timeout: float) -> bool:
        """Wait until the page has received ``quarters`` quarters (False after ``timeout`` s).

        Play waits for the page before simulating the next quarter, so the model never
        runs ahead of what the class sees and Pause stops where the page is.
        """
        with self._shown:
            return self._shown.wait_for(lambda: self.shown >= quarters, timeout=timeout)
