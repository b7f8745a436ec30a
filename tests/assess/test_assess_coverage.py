"""Losing inventory coverage never improves the sample's verdict."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import flowgraph as fg
from flowgraph.assessment import VERDICTS

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
RANK = {v: i for i, v in enumerate(("feasible", "feasible_with_exceptions", "marginal", "infeasible",
                                    "insufficient_data"))}


def test_verdict_never_improves_as_inventory_rows_are_removed(tmp_path: Path) -> None:
    assert set(RANK) == set(VERDICTS)
    inv = pd.read_csv(SAMPLE / "inventory.csv")
    order = np.random.default_rng(0).permutation(len(inv))
    seen = []
    for drop in (0.0, 0.2, 0.45):
        keep = inv.iloc[np.sort(order[int(drop * len(inv)):])]
        path = tmp_path / f"inventory-{drop}.csv"
        keep.to_csv(path, index=False)
        g = fg.build_graph(SAMPLE / "logs", path)
        a = fg.assess(g, seed=0, n_seeds=3, n_null=3, n_bootstrap=10)
        codes = {r.code for r in a.reasons}
        seen.append((drop, g.quality["unmapped_share"], a.verdict, codes))
    shares = [s for _, s, _, _ in seen]
    assert shares == sorted(shares) and shares[0] < 0.01 and shares[-1] > 0.5
    ranks = [RANK[v] for _, _, v, _ in seen]
    assert ranks == sorted(ranks), seen                      # never better with less coverage
    assert seen[-1][2] == "insufficient_data" and "unmapped_traffic" in seen[-1][3]
    assert all("partial_inventory" in c for _, s, _, c in seen if 0.1 < s <= 0.5)
    assert any(0.1 < s <= 0.5 for _, s, _, _ in seen)
