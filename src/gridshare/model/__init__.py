"""The optimisation core: blocks assembled into one linopy model per mode, solved with HiGHS.

Examples
--------
>>> from gridshare.model import ModelInputs, build_model, solve
>>> mi = ModelInputs.from_arrays([[1.0, 0.0], [0.0, 1.0]], pv_kw=[[0.0, 1.0], [1.0, 0.0]])
>>> round(solve(build_model(mi, "collective")).objective, 6)
0.0
"""

from gridshare.model.blocks import DEFAULT_BLOCKS
from gridshare.model.build import CommunityModel, build_model
from gridshare.model.explain import Finding, binding_frequency, explain
from gridshare.model.inputs import COMMUNITY, ModelInputs, PoiSpec
from gridshare.model.result import Result
from gridshare.model.solve import InfeasibleError, SolveOptions, SolverError, solve

__all__ = [
    "COMMUNITY", "DEFAULT_BLOCKS", "CommunityModel", "Finding", "InfeasibleError",
    "ModelInputs", "PoiSpec", "Result", "SolveOptions", "SolverError", "binding_frequency",
    "build_model", "explain", "solve",
]
