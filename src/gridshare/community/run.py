"""Entry point of the community workflow: :func:`run_simulation`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gridshare.community.engine import simulate
from gridshare.community.result import (
    SimulationResult,
    community_summary,
    comparison_table,
    household_table,
)
from gridshare.community.scenario import CommunityInputs, community_from_case, default_community


def run_simulation(case: Any = None, *, homes: int | None = None, steps: int | None = None,
                   strategy: str | Sequence[str] = "greedy", battery: str = "individual",
                   seed: int = 0, forecaster: str = "perfect", price: str = "mid",
                   horizon: int | None = None, tariff: Any = None, grid_buy: float = 0.15,
                   grid_sell: float = 0.05, pv_kwp: Any = 5.0, battery_kwh: float = 10.0,
                   battery_kw: float = 5.0, resolution: str = "1h", start: str = "2024-06-15",
                   history_days: float | None = None, central_strategy: str | None = None,
                   inputs: CommunityInputs | None = None, record: bool = True,
                   ledger: bool = True, baseline: bool = True,
                   solve_options: Any = None) -> SimulationResult:
    """Simulate a P2P community and its baseline (no battery logic, no trading) on the same inputs.

    Parameters
    ----------
    case : gridshare.case.Case, optional
        Take the homes (loads, PV, tariffs, batteries) and horizon from a case; ``homes`` must
        then be None and ``steps`` (optional) keeps the first steps only.
    homes, steps : int, optional
        Size of the generated default community (defaults 5 homes, 48 steps).
    strategy : str or sequence of str
        ``"baseline"``, ``"greedy"`` or ``"convex"``, for all homes or one per home.
    battery : {"individual", "central", "shared", "none"}
        Battery arrangement.
    seed : int
        Seed of the generated community.
    forecaster : {"perfect", "persistence", "seasonal_naive", "learned"}
        Forecasts used by convex agents.
    price : str
        Local price estimator: ``"mid"`` or a mechanism of :mod:`gridshare.market`.
    horizon : int, optional
        Convex look-ahead, steps (default one day).
    tariff : tariff model or mapping, optional
        Any :mod:`gridshare.tariffs` tariff instead of flat ``grid_buy`` / ``grid_sell``.
    grid_buy, grid_sell : float
        Flat grid prices, currency/kWh (defaults 0.15 and 0.05).
    pv_kwp, battery_kwh, battery_kw : float
        Default community's PV (kWp), battery capacity (kWh) and power (kW) per home.
    resolution, start : str
        Default community's step length and first step.
    history_days : float, optional
        History before the first step for forecasters (default 7 days generated, 0 for a case).
    central_strategy : str, optional
        Dispatch of a central battery (see :func:`~gridshare.community.engine.simulate`).
    inputs : CommunityInputs, optional
        Ready inputs (overrides ``case`` and the generator).
    record, ledger : bool
        Keep the replay and the hash-chained ledger.
    baseline : bool
        Also run the baseline (needed for savings and the comparison).
    solve_options : gridshare.model.SolveOptions, optional

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> r = run_simulation(homes=2, steps=6, history_days=0)
    >>> list(r.households.index), bool(r.summary["p2p_paid"] == r.summary["p2p_received"])
    (['h0', 'h1'], True)
    """
    if inputs is None:
        if case is not None:
            if homes is not None:
                raise ValueError(f"homes={homes} cannot be combined with a case: the case's "
                                 "members are the homes")
            inputs = community_from_case(case, history_days or 0.0)
        else:
            inputs = default_community(5 if homes is None else homes,
                                       48 if steps is None else steps, seed=seed,
                                       resolution=resolution, start=start, pv_kwp=pv_kwp,
                                       battery_kwh=battery_kwh, battery_kw=battery_kw,
                                       tariff=tariff, grid_buy=grid_buy, grid_sell=grid_sell,
                                       history_days=7.0 if history_days is None
                                       else history_days)
            steps = None
    if steps is not None:
        inputs = truncate(inputs, steps)
    common = {"battery": battery, "price": price, "record": record}
    run = simulate(inputs, strategy=strategy, forecaster=forecaster, horizon=horizon,
                   central_strategy=central_strategy, ledger=ledger,
                   solve_options=solve_options, **common)
    base = simulate(inputs, strategy="baseline", ledger=False, name="baseline",
                    **common) if baseline else None
    households = household_table(run, base)
    summary = community_summary(run, households)
    comparison = comparison_table(summary, community_summary(base, household_table(base, base))
                                  ) if base is not None else None
    summary.update({"strategy": strategy if isinstance(strategy, str) else list(strategy),
                    "battery": battery, "price_estimator": price, "forecaster": forecaster,
                    "seed": seed, "step_hours": inputs.step_hours,
                    "source": inputs.attrs.get("source", "arrays"),
                    "ledger_blocks": len(run.ledger) if run.ledger is not None else 0,
                    "ledger_head": run.ledger.head if run.ledger is not None else None,
                    "elapsed_s": run.elapsed_s})
    return SimulationResult(households=households, comparison=comparison, summary=summary,
                            replay=run.replay, trades=run.trades, ledger=run.ledger,
                            forecast_errors=run.forecast_errors, scenario=run, baseline=base)


def truncate(inputs: CommunityInputs, steps: int) -> CommunityInputs:
    """The first ``steps`` simulated steps of ``inputs`` (history kept)."""
    from dataclasses import replace

    if not 1 <= int(steps) <= inputs.n_steps:
        raise ValueError(f"steps must be in [1, {inputs.n_steps}] for these inputs; got {steps}")
    end = inputs.history_steps + int(steps)
    return replace(inputs, times=inputs.times[:end], load_kwh=inputs.load_kwh[:end],
                   pv_kwh=inputs.pv_kwh[:end], import_price=inputs.import_price[:end],
                   export_price=inputs.export_price[:end])
