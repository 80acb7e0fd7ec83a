"""What happened and why, in words: the regime with its rule, and a short timeline.

Pure functions of a run's tables (``events``, ``system``, ``summary``), used by the
run report (:mod:`runs.report`) and the app. The timeline turns the event log
(``events.parquet``, see :mod:`world.events`) into a dozen lines: events of one firm
and kind are grouped, ranked by how much they change the course of the run, and
phrased; kinds this module does not know are phrased generically, so new kinds
recorded by the model show up without a change here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["TimelineItem", "article_facts", "outcome", "regime_rule", "timeline"]

#: How much an event kind changes a run's course (higher first); unknown kinds: 30.
SEVERITY: dict[str, int] = {
    "default": 100,
    "shock": 90,
    "loan_called": 80,
    "round_failed": 75,
    "covenant_breach": 70,
    "missed_payment": 65,
    "stake_loss": 62,  # what a default costs those who invested in it: the loop's loss
    "commitment_cut": 60,
    "rescue_round": 55,
    "stake_sale": 50,
    "write_down": 45,
    "contagion_loss": 40,
    "price_cut": 20,
    "round_undersubscribed": 35,
    "credit_refused": 30,
    "strategic_investment": 25,
    "loan_restructured": 18,
    "price_rise": 15,
    "round_full": 10,
    "loan_rolled": 5,
}
UNKNOWN_SEVERITY = 30
#: Kinds kept one line per quarter (each is news on its own); others are grouped per
#: firm over the run ("rolled over 9 loans, 2026Q2–2034Q1").
SINGULAR = frozenset(
    {"default", "shock", "loan_called", "round_failed", "covenant_breach", "missed_payment"}
)
#: Amount units of kinds whose amount is not USD bn.
_NOT_USD = frozenset({"shock", "price_cut", "price_rise"})


@dataclass(frozen=True)
class TimelineItem:
    """One line of the timeline: when (first and last period), how severe, what."""

    first: str
    last: str
    quarter: int
    severity: int
    text: str

    @property
    def when(self) -> str:
        """``"2027Q1"`` or ``"2027Q1–2031Q4"``."""
        return self.first if self.first == self.last else f"{self.first}–{self.last}"


def _usd(x: float) -> str:
    return f"USD {x:,.0f} bn" if abs(x) >= 100 else f"USD {x:,.1f} bn"


def _times(n: int) -> str:
    return "once" if n == 1 else "twice" if n == 2 else f"{n} times"


def _why(cause: str) -> str:
    return f" ({cause})" if cause else ""


def _price_move(firm: str, verb: str, price: float, n: int, cause: str) -> str:
    return f"{firm} {verb} its price {_times(n) if n > 1 else f'to {price:,.3g}'}{_why(cause)}"


def _with(other: str) -> str:
    return f" with {other}" if other else ""


# phrase(firm, counterparty, amount, count, cause) → text; the amount is the total of
# the group in USD bn, or for price kinds the last new price
_Phrase = Callable[[str, str, float, int, str], str]
_PHRASES: dict[str, _Phrase] = {
    "default": lambda f, c, a, n, why: f"{f} defaults{_why(why)}; its liabilities: {_usd(a)}",
    "shock": lambda f, c, a, n, why: f"Shock: {why or 'news'} (sentiment {a:+.2f})",
    "loan_called": lambda f, c, a, n, why: f"{c or 'Lenders'} call {f}'s loans: {_usd(a)}",
    "round_failed": lambda f, c, a, n, why: f"{f}'s funding round fails (sought {_usd(a)})",
    "covenant_breach": lambda f, c, a, n, why: f"{f} breaches a covenant (debt {_usd(a)})",
    "missed_payment": lambda f, c, a, n, why: f"{f} misses payments of {_usd(a)}{_why(why)}",
    "commitment_cut": lambda f, c, a, n, why: (
        f"{f} cancels {_usd(a)} of contracts{_with(c)}"
        f"{'' if n == 1 else f', {_times(n)}'}{_why(why)}"
    ),
    "rescue_round": lambda f, c, a, n, why: (
        f"{f} raises {_usd(a)} in {'a rescue round' if n == 1 else f'{n} rescue rounds'}"
        " at a discount"
    ),
    "stake_sale": lambda f, c, a, n, why: f"{f} sells stakes at fire-sale prices for {_usd(a)}",
    "write_down": lambda f, c, a, n, why: (
        f"{f} writes down {_usd(a)}{f' on {c}' if c else ''}{_why(why)}"
    ),
    "stake_loss": lambda f, c, a, n, why: (
        f"{f}'s stake in {c or 'a defaulter'} is wiped out: {_usd(a)} at cost"
    ),
    "contagion_loss": lambda f, c, a, n, why: (
        f"{f} loses about {_usd(a)} of equity value{_why(why)}"
    ),
    "price_cut": lambda f, c, a, n, why: _price_move(f, "cuts", a, n, why),
    "price_rise": lambda f, c, a, n, why: _price_move(f, "raises", a, n, why),
    "round_undersubscribed": lambda f, c, a, n, why: (
        f"{f}'s funding rounds fall short {_times(n)}: {_usd(a)} raised"
        if n > 1
        else f"{f}'s funding round falls short: {_usd(a)} raised{_why(why)}"
    ),
    "credit_refused": lambda f, c, a, n, why: f"Lenders refuse {f} credit {_times(n)} ({_usd(a)})",
    "strategic_investment": lambda f, c, a, n, why: (
        f"{f} commits up to {_usd(a)}{f' to {c}' if c else ''}"
    ),
    "loan_restructured": lambda f, c, a, n, why: (
        f"{f}'s vendor loans extended {_times(n)} ({_usd(a)})"
    ),
    "round_full": lambda f, c, a, n, why: (
        f"{f} raises {_usd(a)} in {'a full funding round' if n == 1 else f'{n} full rounds'}"
    ),
    "loan_rolled": lambda f, c, a, n, why: (
        f"{f} rolls over {'a loan' if n == 1 else f'{n} loans'} ({_usd(a)})"
    ),
}


def _generic(kind: str) -> _Phrase:
    words = kind.replace("_", " ")

    def phrase(f: str, c: str, a: float, n: int, why: str) -> str:
        extra = "; ".join(x for x in (_usd(a) if a else "", why) if x)
        who = f if f != "system" else "The system"
        return f"{who}: {words}{f' ({_times(n)})' if n > 1 else ''}{f' ({extra})' if extra else ''}"

    return phrase


def _common_cause(causes: pd.Series) -> str:
    """The group's cause: the one cause, else the part before ";" or "(" they all share."""
    distinct = causes.unique()
    if len(distinct) == 1:
        return str(distinct[0])
    heads = {re.split(r"[;(]", str(c), maxsplit=1)[0].strip() for c in distinct}
    return heads.pop() if len(heads) == 1 else ""


def _common_cause(causes: pd.Series) -> str:
    """The group's cause: the one cause, else the part before ";" or "(" all of them share."""
    distinct = causes.unique()
    if len(distinct) == 1:
        return str(distinct[0])
    heads = {re.split(r"[;(]", str(c), maxsplit=1)[0].strip() for c in distinct}
    return heads.pop() if len(heads) == 1 else ""


def timeline(events: pd.DataFrame, max_items: int = 12) -> list[TimelineItem]:
    """The event log as at most ``max_items`` lines, the most important, in time order.

    Events of one firm, kind and counterparty are grouped: over the whole run for
    routine kinds (rollovers, rounds, refusals), per quarter for kinds in
    :data:`SINGULAR` (defaults, shocks, failed rounds, ...). Groups are ranked by
    :data:`SEVERITY` of their kind, then by their amount; defaults and shocks are
    always kept. ``events`` has the columns of ``events.parquet`` (extra columns are
    ignored; an empty table gives no lines).
    """
    need = ("quarter", "period", "firm", "kind", "amount")
    missing = [c for c in need if c not in events.columns]
    if missing:
        raise ValueError(f"events: missing column(s) {', '.join(missing)}")
    if max_items < 1:
        raise ValueError(f"max_items must be at least 1, got {max_items}")
    if events.empty:
        return []
    ev = events.assign(
        counterparty=events["counterparty"] if "counterparty" in events else "",
        cause=events["cause"] if "cause" in events else "",
    ).sort_values("quarter", kind="stable")
    ev["counterparty"] = ev["counterparty"].fillna("").astype(str)
    ev["cause"] = ev["cause"].fillna("").astype(str)
    ev["_group"] = np.where(ev["kind"].isin(list(SINGULAR)), ev["quarter"], -1)
    # a default's cause already says what was missed: drop that quarter's missed payment
    defaults = set(
        zip(
            ev.loc[ev["kind"] == "default", "firm"],
            ev.loc[ev["kind"] == "default", "quarter"],
            strict=True,
        )
    )
    missed = ev["kind"] == "missed_payment"
    ev = ev[
        ~(
            missed
            & pd.Series(list(zip(ev["firm"], ev["quarter"], strict=True)), index=ev.index).isin(
                defaults
            )
        )
    ]
    items = []
    for (firm, kind, other, _), rows in ev.groupby(
        ["firm", "kind", "counterparty", "_group"], sort=False
    ):
        kind = str(kind)
        amount = float(rows["amount"].iloc[-1] if kind in _NOT_USD else rows["amount"].sum())
        cause = _common_cause(rows["cause"])
        text = _PHRASES.get(kind, _generic(kind))(str(firm), str(other), amount, len(rows), cause)
        items.append(
            (
                SEVERITY.get(kind, UNKNOWN_SEVERITY),
                abs(amount) if kind not in _NOT_USD else 0.0,
                TimelineItem(
                    first=str(rows["period"].iloc[0]),
                    last=str(rows["period"].iloc[-1]),
                    quarter=int(rows["quarter"].iloc[0]),
                    severity=SEVERITY.get(kind, UNKNOWN_SEVERITY),
                    text=text,
                ),
            )
        )
    items.sort(key=lambda x: (-x[0], -x[1]))
    must = [i for s, _, i in items if s >= SEVERITY["shock"]]
    rest = [i for s, _, i in items if s < SEVERITY["shock"]]
    chosen = must + rest[: max(0, max_items - len(must))]
    return sorted(chosen, key=lambda i: (i.quarter, -i.severity))


# -- the regime and its rule ----------------------------------------------------------------
def regime_rule(label: str) -> str:
    """The rule that gives a run its regime label, in words, from the regime classifier.

    Read from :mod:`world.stress` (``regime_rule`` when it provides one, else the
    numbered rules of ``classify_regime``'s docstring with the default thresholds of
    ``RegimeRules`` filled in), so the report never restates the rules itself.
    Returns ``""`` for a label the classifier does not know.
    """
    from world import stress

    rule = getattr(stress, "regime_rule", None)
    if rule is not None:
        try:
            return str(rule(label))
        except ValueError:
            return ""
    return _rule_from_docstring(label, stress.classify_regime.__doc__ or "", stress.RegimeRules())


def _rule_from_docstring(label: str, doc: str, rules: object) -> str:
    """The numbered item of ``doc`` that names ``label`` (``BUST``), as plain text."""
    items = re.findall(r"^\s*\d\.\s+(.*?)(?=^\s*\d\.\s|^\s*$)", doc, flags=re.M | re.S)
    name = label.upper()
    for item in items:
        if f"``{name}``" not in item:
            continue
        text = " ".join(item.split())
        text = re.sub(r"rules\.(\w+)", lambda m: _threshold(rules, m.group(1)), text)
        text = re.sub(r":math:`([^`]*)`", lambda m: _math(m.group(1)), text)
        text = _math(text.replace("``", "").replace(f"{name}: ", "").replace(f"{name} ", ""))
        return text[0].upper() + text[1:] if text else ""
    return ""


def _threshold(rules: object, name: str) -> str:
    value = getattr(rules, name, name)
    if isinstance(value, float) and 0 < value < 1:
        return f"{value:.0%}"
    return f"{value:g}" if isinstance(value, int | float) else str(value)


_MATH: Mapping[str, str] = {
    r"\ge": "≥",
    r"\le": "≤",
    r"\cdot": "×",
    "V_{T-1}": "total valuation at the end",
    "V_0": "total valuation at the start",
    "deployed_gw[-1]": "deployed GW at the end",
    "deployed_gw[0]": "deployed GW at the start",
    ">=": "≥",
    " * ": " × ",
}


def _math(expr: str) -> str:
    for k, v in _MATH.items():
        expr = expr.replace(k, v)
    return " ".join(expr.split())


def outcome(firms: pd.DataFrame, summary: Mapping[str, object]) -> str:
    """One sentence on how the run ended: total valuation, its largest fall, defaults."""
    v = firms.groupby("quarter")["valuation"].sum().sort_index().clip(lower=0.0)
    text = f"Total valuation of the firms: {_usd(v.iloc[0])} → {_usd(v.iloc[-1])}"
    fall = summary.get("aggregate_max_drawdown")
    if isinstance(fall, int | float):
        text += f" (largest fall from a peak: {fall:.0%})"
    gone = firms[firms["defaulted"].astype(bool)]
    if len(gone):
        first = gone.sort_values("quarter").drop_duplicates("firm")
        names = ", ".join(f"{f} ({p})" for f, p in zip(first["firm"], first["period"], strict=True))
        text += f"; defaults: {names}"
    else:
        text += "; no firm defaulted"
    return text + "."


# -- the article's figures, in words ------------------------------------------------------
def article_facts(
    system: pd.DataFrame,
    firms: pd.DataFrame,
    demand: Mapping[str, object],
    loops: pd.DataFrame | None = None,
) -> list[str]:
    """A few sentences on the article's gauges in this run (engine, gears, gap, loop).

    ``demand`` is the scenario's ``demand`` section (``params.json``); sentences whose
    columns or parameters a run lacks are left out.
    """
    from runs.figures.loops import ARTICLE_LOOP, loop_name, loop_totals
    from world.gauges import ADOPTION_REFERENCES, by_year, paid_growth_by_year, years_to_adoption

    s = system.sort_values("quarter")
    periods = s["period"].astype(str).tolist()
    out = []
    if {"paid_users_m", "engine_paid_growth"} <= set(s.columns) and "users_0" in demand:
        opening = float(demand["users_0"]) * float(demand.get("paid_share_0", 0.0))  # type: ignore[arg-type]
        history = (
            {"2023Q4": float(demand["paid_users_2023"])} if "paid_users_2023" in demand else {}
        )  # type: ignore[arg-type]
        if opening > 0:
            years = paid_growth_by_year(
                periods, s["paid_users_m"], opening=opening, history=history
            )
            yearly = ", ".join(f"{g:+.1%} in {y}" for y, g in list(years.items())[:4])
            out.append(
                f"Engine: paying users grew {yearly} (year on year), and "
                f"{s['engine_paid_growth'].iloc[0]:+.1%} in {periods[0]} (quarter on quarter); "
                f"weekly users went from {float(demand['users_0']):,.0f} M to "  # type: ignore[arg-type]
                f"{s['users_m'].iloc[-1]:,.0f} M."
            )
    if "adoption_share" in s.columns and "launch" in demand:
        hit = years_to_adoption(periods, s["adoption_share"], launch=str(demand["launch"]))
        refs = ", ".join(f"{k} {v:g}" for k, v in ADOPTION_REFERENCES.items())
        when = f"in {hit:g} years" if hit is not None else "not within the run"
        out.append(f"Adoption: AI reached 10% of the world {when} ({refs} years).")
    if "gears_capex_to_revenue" in s.columns:
        g = s.set_index("period")["gears_capex_to_revenue"]
        parts = [f"all clouds' AI capex / AI revenue peaked at {g.max():.2f} ({g.idxmax()})"]
        if "capex_to_revenue" in firms.columns:
            for name in ("Oracle", "Microsoft"):
                rows = firms[firms["firm"] == name].set_index("period")["capex_to_revenue"]
                if len(rows):
                    parts.append(f"{name}'s capex / revenue at {rows.max():.2f} ({rows.idxmax()})")
        out.append("Gears: " + "; ".join(parts) + ".")
    if "lab_free_cash_flow" in s.columns:
        years = {y: v for y, (v, n) in by_year(periods, s["lab_free_cash_flow"]).items() if n == 4}
        if years:
            positive = [y for y, v in years.items() if v > 0]
            worst = min(years, key=years.get)  # type: ignore[arg-type]
            gap = (
                f"turned positive in {positive[0]}"
                if positive
                else "stayed negative in every full year"
            )
            out.append(
                f"Funding gap: the labs' free cash flow {gap}; the largest gap was "
                f"{_usd(-years[worst]) if years[worst] < 0 else 'none'} in {worst}."
            )
    if loops is not None and len(loops):
        totals = loop_totals(loops)
        text = (
            f"The loop: {_usd(totals.sum())} of revenue went round loops of the deal network; "
            f"the largest, {loop_name(totals.index[0])}: {_usd(totals.iloc[0])}"
        )
        if ARTICLE_LOOP in totals.index and tuple(totals.index[0]) != ARTICLE_LOOP:
            text += f"; {loop_name(ARTICLE_LOOP)}: {_usd(totals[ARTICLE_LOOP])}"
        out.append(text + ".")
    return out
