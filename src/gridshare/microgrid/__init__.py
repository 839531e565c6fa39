"""Data-centre microgrids: case format, ISO adapters, dispatch, reliability, power flow.

- :mod:`~gridshare.microgrid.case` -- the JSON/YAML case (``load_microgrid_case``).
- :mod:`~gridshare.microgrid.iso` -- market adapters (ERCOT, CAISO, PJM, generic) by name.
- :mod:`~gridshare.microgrid.dispatch` -- the dispatch MILP through the core
  (:func:`run_dispatch`), with the blocks of :mod:`~gridshare.microgrid.blocks`.
- :mod:`~gridshare.microgrid.reliability`, :mod:`~gridshare.microgrid.economics`,
  :mod:`~gridshare.microgrid.explain` -- views of a solved dispatch.
- :mod:`~gridshare.microgrid.powerflow` -- planning-level power-flow feasibility.

Power flow is positive-sequence, balanced, RMS steady state. Out of scope by design: EMT and
switching transients, inverter controls, harmonics and flicker, protection coordination and
unbalanced (negative-sequence) studies.
"""

from gridshare.microgrid.case import (
    MicrogridCase,
    MicrogridCaseError,
    load_microgrid_case,
    validate_microgrid_case,
)
from gridshare.microgrid.dispatch import DispatchResult, run_dispatch
from gridshare.microgrid.powerflow import PowerFlowResult, run_powerflow

__all__ = [
    "DispatchResult", "MicrogridCase", "MicrogridCaseError", "PowerFlowResult",
    "load_microgrid_case", "run_dispatch", "run_powerflow", "validate_microgrid_case",
]
