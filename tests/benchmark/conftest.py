"""Shared fixtures of the benchmark tests: small communities that solve in a fraction of a second."""

import numpy as np
import pandas as pd
import pytest

from gridshare.benchmark.community import BenchmarkCommunity, default_community
from gridshare.timeindex import make_index


@pytest.fixture(scope="session")
def small_community() -> BenchmarkCommunity:
    """Three generated buildings (one commercial), one day of hourly steps."""
    return default_community(n_buildings=3, steps=24, step_minutes=60, seed=1)


def hand_community() -> BenchmarkCommunity:
    """Two buildings x four hourly steps from 16:00 (Lisbon), worked by hand in test_evaluate.py.

    A: load [0, 1, 1, 0] kW, PV [4, 0, 0, 0] kW, a lossless 2 kWh / 2 kW battery starting and
    ending empty. B: load [1, 2, 0, 0] kW, no PV, no battery. No load shifting.
    """
    time = make_index("2024-07-01 16:00", pd.Timedelta(hours=1), "Europe/Lisbon", periods=4)
    batteries = pd.DataFrame({"owner": ["A"], "capacity_kwh": [2.0], "power_kw": [2.0],
                              "soc_min": [0.0], "soc_max": [1.0], "soc_initial": [0.0],
                              "efficiency": [1.0]}, index=pd.Index(["A_battery"], name="battery"))
    flexibility = pd.DataFrame({"shiftable_share": [0.0, 0.0], "max_shift_kw": [0.0, 0.0],
                                "window_steps": [4, 4]}, index=pd.Index(["A", "B"], name="member"))
    return BenchmarkCommunity(time=time, step_hours=1.0, members=["A", "B"],
                              load_kw=np.array([[0.0, 1.0, 1.0, 0.0], [1.0, 2.0, 0.0, 0.0]]),
                              pv_kw=np.array([[4.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]),
                              batteries=batteries, flexibility=flexibility)
