"""Small microgrid cases whose optima are worked by hand in the tests."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "datacenter_ercot_50mw.json"


def small_case(hours: int = 2, prices=None, loads=None, bess=None, units=None,
               poi=None, reliability=None, as_prices=None, iso: str = "ERCOT") -> dict:
    """A 1-hour-step case with nothing in it but what a test adds."""
    return {
        "name": "test", "iso": iso,
        "time": {"horizon_hours": hours, "interval_minutes": 60, "timezone": "UTC"},
        "topology": {"poi": poi or {"max_import_mw": 100, "max_export_mw": 100}},
        "resources": {"bess": bess,
                      "generators": {"fuel_price_per_mmbtu": 10.0, "units": units or []},
                      "loads": loads or [{"name": "none", "kind": "non_critical",
                                          "peak_mw": 0}]},
        "reliability": {"ride_through_minutes": 0, "voll_per_mwh": 50_000, "n_minus_1": False,
                        **(reliability or {})},
        "prices": {"energy_prices": prices or [30.0] * hours, "as_prices": as_prices or {}},
    }


def ideal_bess(**kw) -> dict:
    """A lossless battery with no floors and no wear, unless a test says otherwise."""
    spec = {"power_mw": 10, "energy_mwh": 10, "soc_reserve": 0.0, "soc_min": 0.0,
            "soc_max": 1.0, "soc_initial": 0.0, "charge_efficiency": 1.0,
            "discharge_efficiency": 1.0, "degradation_cost_per_mwh": 0.0}
    spec.update(kw)
    return spec


@pytest.fixture(scope="session")
def example_dispatch():
    from gridshare.microgrid import run_dispatch

    return run_dispatch(EXAMPLE)


@pytest.fixture
def case_factory():
    return lambda **kw: copy.deepcopy(small_case(**kw))
