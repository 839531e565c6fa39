"""Seeded, vectorised time-series generators: sector loads, PV, wind and weather files.

Every generator works on a time-zone-aware step-start index from 5 min to 1 h, generates each
full local calendar year whole (so any horizon is an exact slice of the year and annual
energies are exact) and is reproducible from its seed. Batch functions (plural names) return
``(n_members, n_steps)`` arrays in kW.
"""

from gridshare.profiles.load import SECTORS, sector_load, sector_loads
from gridshare.profiles.solar import (
    Site,
    clear_sky,
    clear_sky_index,
    clear_sky_indices,
    pv_power,
    pv_powers,
    seasonal_air_temperature,
)
from gridshare.profiles.weather import Weather, WeatherError, align_weather, read_weather
from gridshare.profiles.wind import power_curve, wind_power, wind_powers, wind_speed, wind_speeds

__all__ = [
    "SECTORS",
    "Site",
    "Weather",
    "WeatherError",
    "align_weather",
    "clear_sky",
    "clear_sky_index",
    "clear_sky_indices",
    "power_curve",
    "pv_power",
    "pv_powers",
    "read_weather",
    "seasonal_air_temperature",
    "sector_load",
    "sector_loads",
    "wind_power",
    "wind_powers",
    "wind_speed",
    "wind_speeds",
]
