"""Time-stepped peer-to-peer community simulation.

Homes with load, PV and batteries (individual, central or shared with virtual accounts) step
through time; at each step every agent decides with what it knows then (strategies
``baseline``, ``greedy``, ``convex`` through the optimisation core), the local market prices
and matches offers, unmatched energy goes to the grid, money moves, and every trade is
recorded in a hash-chained ledger. The same inputs are also run as a baseline.

Examples
--------
>>> from gridshare.community import run_simulation
>>> r = run_simulation(homes=3, steps=12, history_days=0)
>>> r.ledger.verify()
>>> r.replay["soc_kwh"].dims
('step', 'agent')
"""

from gridshare.community.engine import COMMUNITY_AGENT, FLOWS, ScenarioRun, build_storage, simulate
from gridshare.community.forecast import (
    FORECASTERS,
    Forecaster,
    Learned,
    Perfect,
    Persistence,
    SeasonalNaive,
    calendar_features,
    evaluate_forecasters,
    forecast_errors,
    make_forecaster,
)
from gridshare.community.ledger import Block, Ledger, LedgerError
from gridshare.community.matching import PRICE_ESTIMATORS, clear_step, mid_price, pair_trades
from gridshare.community.result import HOUSEHOLD_COLUMNS, SimulationResult
from gridshare.community.run import run_simulation, truncate
from gridshare.community.scenario import CommunityInputs, community_from_case, default_community
from gridshare.community.storage import ARRANGEMENTS, Storage
from gridshare.community.strategies import STRATEGIES, convex_plan, greedy_requests

__all__ = [
    "ARRANGEMENTS", "COMMUNITY_AGENT", "FLOWS", "FORECASTERS", "HOUSEHOLD_COLUMNS",
    "PRICE_ESTIMATORS", "STRATEGIES", "Block", "CommunityInputs", "Forecaster", "Learned",
    "Ledger", "LedgerError", "Perfect", "Persistence", "ScenarioRun", "SeasonalNaive",
    "SimulationResult", "Storage", "build_storage", "calendar_features", "clear_step",
    "community_from_case", "convex_plan", "default_community", "evaluate_forecasters",
    "forecast_errors", "greedy_requests", "make_forecaster", "mid_price", "pair_trades",
    "run_simulation", "simulate", "truncate",
]
