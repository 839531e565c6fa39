"""Rank scenarios by cost, fairness or a weighted score of several metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd

DEFAULT_WEIGHTS: dict[str, float] = {"community_cost": 0.5, "savings_gini": 0.25,
                                     "self_sufficiency": -0.25}
"""Weights of the default score: half cost, a quarter fairness (Gini of the buildings' savings), a
quarter self-sufficiency. A positive weight means lower is better, a negative one higher is better.

Fairness is measured on savings rather than on costs: a building's cost can be near zero or
negative (it exports about as much as it buys), so the CV and Gini of costs, which divide by the
mean cost, swing by orders of magnitude between otherwise similar scenarios (a CV of 240 was seen
on the default community). Savings against the passive bill are non-negative and keep both
metrics in their usual ranges."""

FAIRNESS_METRIC = "savings_gini"
"""The metric ``by="fairness"`` ranks on (ascending)."""

HIGHER_IS_BETTER = ("self_sufficiency", "p2p_benefit", "community_saving", "p2p_traded_kwh")
"""Metrics ranked in descending order by ``by=<metric>``."""


def rank(results: pd.DataFrame, by: str = "score",
         weights: dict[str, float] | None = None) -> pd.DataFrame:
    """Order scenarios, best first, with columns ``rank`` (1 = best) and ``score``.

    Parameters
    ----------
    results : pandas.DataFrame
        One row per scenario with the summary metrics (e.g. ``ResultsStore.results()``); rows
        whose ``status`` is not ``"ok"`` are left out.
    by : str
        ``"cost"`` (``community_cost`` ascending), ``"fairness"`` (:data:`FAIRNESS_METRIC` ascending),
        ``"score"`` (weighted sum of min-max normalised metrics, ascending) or any metric column
        (ascending, or descending for :data:`HIGHER_IS_BETTER`).
    weights : dict of str to float, optional
        For ``"score"``: metric -> weight, default :data:`DEFAULT_WEIGHTS`. Each metric is scaled
        to [0, 1] over the ranked rows (``(x - min) / (max - min)``, 0 when all are equal);
        ``score = sum(w * scaled)`` over positive weights plus ``sum(|w| * (1 - scaled))`` over
        negative ones, divided by ``sum(|w|)``: 0 = best in every metric, 1 = worst.

    Returns
    -------
    pandas.DataFrame
        The kept rows sorted best first; ``score`` is the ranked metric itself unless
        ``by="score"``. Ties share the best rank (``method="min"``).

    Examples
    --------
    >>> df = pd.DataFrame({"scenario_id": ["a", "b", "c"], "status": "ok",
    ...                    "community_cost": [3.0, 1.0, 2.0], "cost_cv": [0.1, 0.3, 0.2],
    ...                    "self_sufficiency": [0.5, 0.5, 0.5]})
    >>> rank(df, "cost")["scenario_id"].tolist()
    ['b', 'c', 'a']
    >>> rank(df, weights={"community_cost": 1, "cost_cv": 1})["score"].tolist()
    [0.5, 0.5, 0.5]
    """
    if not isinstance(results, pd.DataFrame):
        raise ValueError(f"results must be a pandas.DataFrame; got {type(results).__name__}")
    ok = results[results["status"] == "ok"] if "status" in results else results
    ok = ok.copy()
    if by == "score":
        weights = dict(DEFAULT_WEIGHTS if weights is None else weights)
        if not weights or not all(np.isfinite(w) for w in weights.values()):
            raise ValueError(f"weights must be a non-empty dict of finite numbers; got {weights}")
        missing = sorted(set(weights) - set(ok.columns))
        if missing:
            raise ValueError(f"weights name metric(s) {missing} that results lack; available: "
                             f"{sorted(ok.select_dtypes('number').columns)}")
        total = sum(abs(w) for w in weights.values())
        if total == 0:
            raise ValueError("weights are all zero; give at least one non-zero weight")
        score = pd.Series(0.0, index=ok.index)
        for metric, w in weights.items():
            x = ok[metric].astype(float)
            span = x.max() - x.min()
            scaled = (x - x.min()) / span if span > 0 else x * 0.0
            score += w * scaled if w >= 0 else -w * (1.0 - scaled)
        ok["score"] = score / total
        ascending = True
    else:
        metric = {"cost": "community_cost", "fairness": FAIRNESS_METRIC}.get(by, by)
        if metric not in ok.columns:
            raise ValueError(f"by is {by!r}; allowed: 'cost', 'fairness', 'score' or a metric column "
                             f"{sorted(ok.select_dtypes('number').columns)}")
        ok["score"] = ok[metric].astype(float)
        ascending = metric not in HIGHER_IS_BETTER
    ok["rank"] = ok["score"].rank(method="min", ascending=ascending, na_option="bottom").astype(int)
    tiebreak = ok["scenario_id"] if "scenario_id" in ok else pd.Series(ok.index, index=ok.index)
    order = np.lexsort((tiebreak.astype(str).to_numpy(), ok["rank"].to_numpy()))
    return ok.iloc[order].reset_index(drop=True)
