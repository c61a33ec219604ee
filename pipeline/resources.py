"""Dagster resources: where the inbox and the reports are, and the knobs of a run."""
from __future__ import annotations

from dagster import ConfigurableResource

from pipeline import contract


class OutcomesSettings(ConfigurableResource):
    """Paths and settings of a run. Defaults are the contract's (section 4)."""

    inbox: str = "data/inbox"
    reports: str = "reports"
    episode_gap_days: int = contract.EPISODE_GAP_DAYS
    suppression_min_n: int = contract.SUPPRESSION_MIN_N

    def contract_settings(self) -> contract.Settings:
        if self.episode_gap_days < 1:
            raise ValueError("episode_gap_days must be at least 1")
        if self.suppression_min_n < 1:
            raise ValueError("suppression_min_n must be at least 1")
        return contract.Settings(episode_gap_days=self.episode_gap_days, suppression_min_n=self.suppression_min_n)
