"""The contract every firm kind obeys (Axelrod style: one base class, one subclass per kind)."""

import numpy as np
import pandas as pd
import pytest

from world.ledger import Account
from world.params import Role

NUMERIC = [
    "cash",
    "total_assets",
    "total_liabilities",
    "equity",
    "revenue",
    "net_income",
    "capex",
    "deployed_gw",
    "backlog",
    "valuation",
    "leverage",
    "round_trip_share",
]


class FirmContract:
    role: Role

    @pytest.fixture
    def rows(self, baseline_result) -> pd.DataFrame:
        df = baseline_result.firms
        rows = df[df.role == self.role.value]
        assert not rows.empty
        return rows

    def test_assets_equal_liabilities_plus_equity(self, rows):
        gap = (rows.total_assets - rows.total_liabilities - rows.equity).abs()
        scale = rows.total_assets.abs().clip(lower=1.0)
        assert (gap / scale).max() < 1e-9

    def test_cash_flow_statement_reconciles_with_cash(self, rows):
        for _, g in rows.groupby("firm"):
            g = g.sort_values("quarter")
            delta = g.cash.diff().iloc[1:]
            flows = g.operating_cash_flow + g.investing_cash_flow + g.financing_cash_flow
            assert np.allclose(delta, flows.iloc[1:], rtol=1e-9, atol=1e-9)

    def test_no_nan_or_inf(self, rows):
        values = rows[NUMERIC].to_numpy(dtype=float)
        assert np.isfinite(values).all()

    def test_ledgers_trial_balance(self, baseline_run):
        for firm in baseline_run.firms:
            if firm.role is self.role:
                scale = max(firm.ledger.balance_sheet().total_assets, 1.0)
                assert abs(firm.ledger.trial_balance()) / scale < 1e-9

    def test_cash_never_negative(self, rows):
        assert rows.cash.min() >= -1e-9

    def test_round_trip_share_is_a_share(self, rows):
        assert rows.round_trip_share.between(0.0, 1.0 + 1e-9).all()


class TestChipSupplier(FirmContract):
    role = Role.CHIP

    def test_suppliers_sell_gpus(self, baseline_run):
        for f in baseline_run.by_role(Role.CHIP):
            gpu = sum(
                e.lines[1][1]
                for e in f.ledger.journal
                if e.memo == "gpu_delivery" and e.lines[1][0] is Account.REVENUE_GPU
            )
            assert gpu < 0  # credits to GPU revenue from deliveries inside the network


class TestCloudProvider(FirmContract):
    role = Role.CLOUD

    def test_clouds_build_capacity(self, rows):
        first = rows[rows.quarter == 0].deployed_gw.sum()
        assert rows[rows.quarter == rows.quarter.max()].deployed_gw.sum() > first


class TestAILab(FirmContract):
    role = Role.LAB

    def test_lab_has_revenue_every_quarter(self, rows):
        assert (rows.revenue > 0).all()
