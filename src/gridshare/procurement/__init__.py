"""Pooled clean-energy procurement: hourly matching, pooling, certificate swaps and money.

Participants (companies, data centres, hospitals, ...) each hold shares of solar and wind PPA
plants. :func:`run_procurement` generates each plant once, splits it by share, matches every
participant's load hour by hour (volumetric RE, hourly CFE, surplus and shortfall), compares the
pool with its members standing alone, swaps certificates inside the pool (pro-rata or by a
two-stage LP), settles certificates and, optionally, energy at a price series, dispatches a pool
battery through :mod:`gridshare.model`, and writes the tables and granular certificate records.

The array functions (:func:`hourly_balance`, :func:`prorata_swaps`, :func:`optimal_swaps`,
:func:`analyse_pool`, ...) work on (participant, hour) energies without a case.
"""

from gridshare.procurement._checks import ProcurementError
from gridshare.procurement.analysis import PoolAnalysis, analyse_pool
from gridshare.procurement.financials import (
    CertificatePrices,
    certificate_settlement,
    energy_settlement,
)
from gridshare.procurement.matching import (
    POOL,
    Balance,
    grouped_metrics,
    hourly_balance,
    participant_metrics,
    pool_metrics,
)
from gridshare.procurement.records import STATUSES, certificate_records
from gridshare.procurement.result import TABLES, ProcurementResult
from gridshare.procurement.run import run_procurement
from gridshare.procurement.storage import BatteryDispatch, pool_battery_dispatch
from gridshare.procurement.supply import (
    ProjectOutput,
    hourly_energy,
    participant_supply,
    ppa_fractions,
    project_output,
)
from gridshare.procurement.swaps import (
    Swaps,
    eligibility,
    optimal_swaps,
    optimised_cfe,
    prorata_swaps,
    swap,
    swap_sides,
)

__all__ = [
    "POOL",
    "STATUSES",
    "TABLES",
    "Balance",
    "BatteryDispatch",
    "CertificatePrices",
    "PoolAnalysis",
    "ProcurementError",
    "ProcurementResult",
    "ProjectOutput",
    "Swaps",
    "analyse_pool",
    "certificate_records",
    "certificate_settlement",
    "eligibility",
    "energy_settlement",
    "grouped_metrics",
    "hourly_balance",
    "hourly_energy",
    "optimal_swaps",
    "optimised_cfe",
    "participant_metrics",
    "participant_supply",
    "pool_battery_dispatch",
    "pool_metrics",
    "ppa_fractions",
    "project_output",
    "prorata_swaps",
    "run_procurement",
    "swap",
    "swap_sides",
]
