"""The baseline explained (docs/explanation/baseline.md): the claims of its decomposition
hold over seeds — the 2025 deals and sentiment raise the suppliers' peak, and the fall
after the peak is deep whichever channel is switched off."""

from __future__ import annotations

import pytest

from runs.decomposition import VARIANTS, decompose, table_markdown, variant, with_table
from runs.scenario import load_scenario

SEEDS = 6


@pytest.fixture(scope="module")
def table(root):
    result = decompose(
        SEEDS, quarters=24, workers=1, overrides={"investors.n_investors": 500}, root=root
    )
    assert set(result.runs.variant) == set(VARIANTS)
    assert len(result.runs) == SEEDS * len(VARIANTS)
    return result.table()


def test_the_2025_deals_and_sentiment_raise_the_peak(table):
    peak = table.supplier_revenue_peak
    assert peak["no_2025_deals"] < peak["baseline"]
    assert peak["neither"] < min(peak["no_2025_deals"], peak["sentiment_off"])


def test_the_fall_after_the_peak_is_deep_in_every_variant(table):
    assert (table.fall_within_8q > 0.4).all(), table.fall_within_8q.to_dict()


def test_variants_switch_off_what_they_name(root):
    base = load_scenario(root / "scenarios" / "baseline.toml")
    no_deals = variant("no_2025_deals", base)
    kinds = {d.kind for d in no_deals.deals if d.signed >= base.start}
    assert kinds <= {"funding_round", "debt"}
    assert variant("sentiment_off", base).behaviour.optimism == 0.0
    assert variant("fixed_markup", base).pricing.chip_cover_response == 0.0
    with pytest.raises(ValueError, match="variant"):
        variant("nope", base)


def test_the_page_table_is_replaced_between_its_markers(table):
    page = "intro\n<!-- decomposition table -->\nold\n<!-- end of decomposition table -->\nend"
    new = with_table(page, table_markdown(table, SEEDS))
    assert new.startswith("intro\n") and new.endswith("end") and "old" not in new
    assert f"({SEEDS} seeds, medians)" in new
