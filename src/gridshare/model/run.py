"""Optimise a case end to end: profiles, prices, model, solve, and the comparison with acting alone."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from gridshare.case import Case
from gridshare.model.build import build_model
from gridshare.model.from_case import inputs_from_case
from gridshare.model.inputs import ModelInputs
from gridshare.model.result import Result
from gridshare.model.solve import SolveOptions, solve

MODES = ("individual", "collective", "collective_fair", "post_delivery")


@dataclass
class Outcome:
    """A solved case and what a person wants to read about it.

    Attributes
    ----------
    result : Result
        The solved model in the requested mode.
    alone : Result or None
        The individual solve (everyone alone), for the comparison; the same as ``result`` in
        individual mode.
    table : pandas.DataFrame
        Per member: the cost breakdown of ``result``, the cost alone and the saving (currency,
        and percent of the cost alone), plus a ``total`` row.
    summary : str
        One sentence with the community totals and the saving.
    """

    result: Result
    alone: Result | None
    table: pd.DataFrame
    summary: str


def optimise_case(case: Case, mode: str = "collective", algorithm: str = "auto",
                  time_limit_s: float | None = None, mip_gap: float | None = None,
                  threads: int | None = None, inputs: ModelInputs | None = None) -> Outcome:
    """Optimise ``case`` in ``mode`` and compare every member's cost with acting alone.

    Parameters
    ----------
    case : Case
        A validated case.
    mode : {"individual", "collective", "collective_fair", "post_delivery"}
        Optimisation mode (see :func:`gridshare.model.build_model`).
    algorithm, time_limit_s, mip_gap, threads
        Passed to :class:`~gridshare.model.SolveOptions`.
    inputs : ModelInputs, optional
        Precomputed inputs (default: generated from the case).

    Returns
    -------
    Outcome
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
    kwargs = {"algorithm": algorithm}
    if time_limit_s is not None:
        kwargs["time_limit_s"] = time_limit_s
    if mip_gap is not None:
        kwargs["mip_gap"] = mip_gap
    if threads is not None:
        kwargs["threads"] = threads
    options = SolveOptions(**kwargs)
    inputs = inputs if inputs is not None else inputs_from_case(case)
    alone = solve(build_model(inputs, "individual"), options)
    if mode == "individual":
        result = alone
    else:
        individual_costs = alone.costs["total"].reindex(inputs.members)
        extra = {"individual_costs": individual_costs} if mode == "collective_fair" else {}
        if mode == "post_delivery":
            extra = {"schedule": alone}
        result = solve(build_model(inputs, mode, options=options, **extra), options)
    table = comparison_table(result, alone)
    total = table.loc["total"]
    summary = (f"community total {total['total']:,.2f} {case.currency} in {mode} versus "
               f"{total['alone']:,.2f} alone: saving {total['saving']:,.2f} "
               f"({total['saving_pct']:.1f} %); solved in {result.solve_time_s:.2f} s "
               f"({result.status}).")
    return Outcome(result=result, alone=alone, table=table, summary=summary)


def comparison_table(result: Result, alone: Result) -> pd.DataFrame:
    """Cost breakdown of ``result`` per member with the cost alone and the saving.

    Examples
    --------
    >>> from gridshare.model import ModelInputs, build_model, solve
    >>> mi = ModelInputs.from_arrays([[1.0], [0.0]], pv_kw=[[0.0], [1.0]],
    ...                              import_price=0.2, export_price=0.05)
    >>> alone = solve(build_model(mi, "individual"))
    >>> together = solve(build_model(mi, "collective"))
    >>> round(float(comparison_table(together, alone).loc["total", "saving"]), 9)
    0.15
    """
    costs = result.costs.copy()
    alone_total = alone.costs["total"]
    # community-owned assets have no "alone" counterpart; their row is kept as they are
    costs["alone"] = alone_total.reindex(costs.index).fillna(0.0)
    costs["saving"] = costs["alone"] - costs["total"]
    costs.loc["total"] = costs.sum(numeric_only=True)
    base = costs["alone"].abs().where(costs["alone"].abs() > 1e-12)
    costs["saving_pct"] = 100.0 * costs["saving"] / base
    costs.index.name = "member"
    keep = [c for c in costs.columns if c in ("total", "alone", "saving", "saving_pct")
            or (costs[c].abs() > 1e-9).any()]
    return costs[keep]
