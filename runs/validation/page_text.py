"""The method part of the validation docs page, written from the code's own constants.

Named outputs, bounds, regime rules and tests are read from the modules that define
them, so the page cannot drift from the suite.
"""

from __future__ import annotations

from runs.named_outputs import OUTPUTS
from runs.validation import bounds
from runs.validation.seednoise import FAMILY_LEVEL, HALF_WIDTH_MAX, MAIN_OUTPUTS
from runs.validation.stats import ALPHA
from runs.validation.synthetic import SYNTHETIC_PATHS
from world.regimes import REGIME_RULES, RegimeRules

__all__ = ["method_text"]


def _outputs_table() -> str:
    rows = ["| output | unit | kind | definition |", "|---|---|---|---|"]
    rows += [
        f"| `{o.name}` | {o.unit} | {o.kind.value} | {o.description} |" for o in OUTPUTS.values()
    ]
    return "\n".join(rows)


def _rules_table() -> str:
    rows = ["| label | rule (first that holds, top down) |", "|---|---|"]
    rows += [
        f"| {label.value.replace('_', ' ')} | {text} |" for label, text in REGIME_RULES.items()
    ]
    return "\n".join(rows)


def _bounds_table() -> str:
    b = bounds
    rows = [
        (
            "listed firm: valuation / trailing four-quarter sales",
            f"{b.LISTED_PRICE_TO_SALES_MAX:g}×",
            "At the March-2000 peak Cisco, the largest listed supplier of the internet "
            "build-out, was worth about USD 555–579 bn (the world's most valuable company "
            "on 24 March 2000) on trailing sales of about USD 16 bn, about 35× sales; Sun "
            "Microsystems traded at about 10× revenue (Scott McNealy, 2002); at the "
            "March-2000 top only 29 stocks sold for 10× sales or more.",
        ),
        (
            "private lab: valuation / trailing four-quarter sales",
            f"{b.PRIVATE_LAB_PRICE_TO_SALES_MAX:g}×",
            "The article this project starts from: OpenAI's USD 500 bn valuation ≈ 116× "
            "revenue — a high-water mark for a private lab.",
        ),
        (
            "the network's AI revenue (four quarters)",
            f"{b.MACRO_AI_SHARE:.0%} of world IT spending",
            f"World IT spending USD {b.WORLD_IT_SPENDING_2025 / 1000:.2f} trillion in 2025, "
            f"+{b.IT_SPENDING_GROWTH:.1%} a year (Gartner, January 2025; USD 5.43 trillion, "
            "+7.9 %, in its July 2025 revision); all AI spending was USD 1.48 trillion in "
            "2025, 26 % of IT spending, and USD 2.02 trillion is forecast for 2026 (Gartner, "
            "September 2025), counted like our sum of AI revenue over the layers, segment by "
            "segment. The limit lets the seven modelled firms reach about twice the 2025 "
            "share of the whole AI market, with IT spending growing at the 2025 pace.",
        ),
        (
            "a firm's debt / trailing four-quarter sales",
            f"{b.DEBT_TO_REVENUE_MAX:g}×",
            "The most indebted firm of the 2025 calibration against its sales is CoreWeave: "
            "about USD 14.2 bn of debt (Q3 2025) plus about USD 15 bn of lease obligations "
            "(at its March-2025 IPO) on 2025 revenue guided at USD 5.05–5.15 bn, about 5.7×; "
            "Oracle carried about USD 95 bn of long-term debt (August 2025) on USD 57.4 bn "
            "of FY2025 revenue, 1.7× (`calibration/firms_2025.csv`). The bound is about "
            "twice CoreWeave's; debt counts bank, bond and vendor debt, firms in default "
            "excluded.",
        ),
        (
            "negative book equity",
            f"at most {b.NEGATIVE_EQUITY_MAX_QUARTERS} quarters",
            "without a default, a loan restructuring or a rescue round booked in the event "
            "log (`world/events.py`: `default`, `loan_restructured`, `rescue_round`); the "
            "count restarts after such an event.",
        ),
    ]
    lines = ["| bound | value | source |", "|---|---|---|"]
    return "\n".join(lines + [f"| {a} | {v} | {src} |" for a, v, src in rows])


def _synthetic_list() -> str:
    return "\n".join(
        f"- `{p.name}` — {p.description} → **{p.expected.value}**" for p in SYNTHETIC_PATHS
    )


def out_of_sample_factor() -> str:
    """``out_of_sample_factor`` of ``scenarios/calibration/anchors.toml``, as printed."""
    from runs.calibrate import load_anchors

    return f"{float(load_anchors()['out_of_sample_factor']):g}"


def method_text() -> str:
    """The method sections of ``docs/explanation/validation.md`` (Markdown)."""
    r = RegimeRules()
    return f"""## Method

A single run is one draw from a distribution, so every pattern is tested over seeds
(see the team's notes on validating a stochastic model; Grimm et al. 2005 for
pattern-oriented modelling, Lee et al. 2015 for output analysis of ABMs).

**Seeds.** Scenario `NAME` runs seeds `SeedSequence([root, crc32(NAME)]).spawn(n)`
(each child one 63-bit integer): independent samples per scenario, the first 20
seeds of the full suite are those of the quick one, and `aipm run SCENARIO --seed S`
reproduces any run. Runs go to a process pool (`runs.executors.PoolExecutor`).

**Tests.** Every one-sided test uses α = {ALPHA}.

- *Direction of a continuous output or a count* (scenario against baseline):
  one-sided Mann–Whitney U, p < {ALPHA}, **and** a percentile bootstrap 98 % interval
  of the difference of medians (4,000 resamples) wholly on the claimed side of 0 —
  the interval narrower than the effect claimed, so a significant test whose
  interval still reaches 0 fails.
- *Direction of a flag* (a rate over seeds): Fisher's exact test, one-sided,
  p < {ALPHA}, **and** the Wilson 98 % interval of the scenario's rate wholly on the
  claimed side of the baseline's rate.
- *"In most seeds"* (`share_at_least`): the lower end of the Wilson 98 % interval
  (a one-sided 99 % bound) above the share; with 30 seeds that takes 22 of 30 for a
  share of one half.
- *Sizes*: every run within its bound (a single run above fails the check; the
  Wilson interval of the share above is shown).
- *Stylized facts* (baseline, weekly returns of the listed firms that never
  default, Cont 2001): the median over seeds of the lag-1 autocorrelation within
  ±2/√T; excess kurtosis above 0 and the lag-1 autocorrelation of |returns| above
  2/√T by a one-sided Wilcoxon signed-rank test over seeds, p < {ALPHA}.
- *2025 anchors*: every anchor of `scenarios/calibration/anchors.toml` within its
  tolerance (5 %) in every baseline seed (`runs.calibrate`).
- *Out of sample*: the market values of October 2025 in
  `scenarios/calibration/anchors.toml` (`[[out_of_sample]]`; the model opens at the end
  of 2024 and is not tuned to them): the median over baseline seeds of the model's
  value on the date (linear between quarter ends) over the market's within a factor
  of {out_of_sample_factor()}; the interval is the ratio's 5–95 % band over seeds.
- *Mechanisms* (`tests/test_shocks.py`, run by `make test`, not by this suite): every
  shipped shock against the baseline with the same seed, 20 seeds: nothing differs
  before the shock's quarter; in it, what the shock drives moves in its direction and
  what it does not reach that quarter (named per shock) stays equal, in every seed;
  the power cap and the end of vendor lending hold from then on, where the baseline's
  do not.
- *Books*: in every run, assets = liabilities + equity, every ledger's trial
  balance is zero, and each firm's cash changes by the sum of its cash-flow
  statement (imbalances ≤ 1e-6 USD bn); every run completes.

## Named outputs

One number per run, computed from the run's records only (`runs/named_outputs.py`):
per-firm valuation, default, revenue and AI revenue paths (kept even by lean sweep
runs), the system columns and the event log. They are columns of every sweep's runs
table and keys of every run's `summary.json`.

{_outputs_table()}

**AI revenue** of a firm is its revenue from cloud compute, GPUs, subscriptions and
API — everything but its legacy business. **AI-exposed value** of a firm is its
value to its shareholders — its valuation plus the cash it has returned to them
(dividends, buybacks, a lab's tender offers) less the cash they have paid in for new
shares (funding rounds, strategic investments, rescues) since the start, as a
total-return index counts them — times the AI share of
its revenue over the last four quarters (1 for a pure AI firm such as OpenAI or
CoreWeave, about a tenth for Amazon in 2025); the network's AI-exposed value is the
sum over firms. Counting Amazon's retail business or Microsoft's Office as AI value
would let the legacy businesses of the largest firms decide whether the AI story
booms or busts; not counting the cash paid out would call a firm that returns its
cash a crash (a payout lowers its value by what its shareholders receive), and
counting the money paid in would call a round value created (in the baseline the lab
raises several hundred billion dollars over the ten years, and spends it).

## Scenario claims

Each scenario file states, from its story, which way it moves named outputs against
the baseline, in an `[expect]` table (validated by `runs/validation/claims.py`):

```toml
[expect]
lab_revenue = "lower"
lab_distress = {{ direction = "higher", share_at_least = 0.5, why = "out of money" }}
```

Keys are named outputs; a value is `"higher"` or `"lower"`, or a table with
`direction`, `share_at_least` (flags only) and `why`. Claims are not parameters:
the scenario loader strips the table, and a file based on another
(`base = "baseline.toml"`) does not inherit its claims — a claim belongs to one
file's story.

## Sane sizes

{_bounds_table()}

Price/sales uses the whole firm (legacy business included, as a market would) and
revenue over the last four quarters (annualised in the first three); a positive
value on no revenue counts as unbounded. The bounds are constants of
`runs/validation/bounds.py`; the model is meant to respect them by its own
mechanisms, and the suite only measures.

## Regime labels

Computed on the AI network (`world/regimes.py`): with V the network's AI-exposed
value and R its AI revenue over the last four quarters, a *crash* is a fall of V
from its running peak of at least {r.crash_drawdown:.0%}. Reports print the rule next
to the label (`world.regimes.REGIME_RULES`).

{_rules_table()}

The regime map (figure above) places every run of the suite at the two figures the
rules on V read — its largest fall from a peak and its value at the end over its
peak — in the colour of its label, one panel a scenario: the dashed line is the crash
threshold, the dotted one the recovery threshold. A scenario whose dots sit on a line
has labels a small change could flip; one far from the lines does not. A bust left of
the dashed line was decided by a default or by the collapse of AI revenue. Each run's
figures are columns of `runs.parquet` (`regime_value_drawdown`,
`regime_value_end_to_peak`, `regime_value_growth`, `regime_revenue_growth`,
`regime_revenue_end_to_peak`).

The rules are tested on synthetic paths whose label is obvious:

{_synthetic_list()}

## Seed noise and sensitivity (full suite)

Sobol and Morris indices assume a deterministic function; with a stochastic model
(ten Broeke et al. 2016) the suite runs `scenarios/sweeps/sobol.toml` with several
replicates per design point, reports each output's share of variance due to the seed
(pooled within-point variance over total variance, `runs.indices.seed_noise`), and
computes the indices on the replicate means (`aipm analyze` does the same for any
sweep with replicates). It checks, for the main continuous outputs
({", ".join(f"`{m}`" for m in MAIN_OUTPUTS)}), that every first- and total-order
index lies in [0, 1] within its interval and that first-order half-widths (95 %) are
at most {HALF_WIDTH_MAX}. The intervals of one output are judged together: ten
95 % intervals of indices near zero would miss [0, 1] by chance about a quarter of
the time, so each is widened to a family-wise {FAMILY_LEVEL:.0%} level (Bonferroni
over the output's S1 and ST intervals; ×1.43 for five parameters). Decided after the
suite of 2026-11-30 failed one interval by 0.01 (S1 of `credit.risk_free` for the AI
value drawdown, −0.046 ± 0.037): a design error of the check, not a finding.

## References

- Cont, R. (2001). Empirical properties of asset returns: stylized facts and
  statistical issues. *Quantitative Finance* 1: 223–236.
- Grimm, V. et al. (2005). Pattern-oriented modeling of agent-based complex
  systems. *Science* 310: 987–991.
- Lee, J.-S. et al. (2015). The complexities of agent-based modeling output
  analysis. *JASSS* 18(4) 4.
- ten Broeke, G., van Voorn, G. & Ligtenberg, A. (2016). Which sensitivity analysis
  method should I use for my agent-based model? *JASSS* 19(1) 5.
- Windrum, P., Fagiolo, G. & Moneta, A. (2007). Empirical validation of agent-based
  models. *JASSS* 10(2) 8.
- Gartner (2025): worldwide IT spending forecast, January and July 2025; worldwide
  AI spending forecast, September 2025.
"""
