"""Write examples/data/golden_co_sample.epw: a synthetic typical year for Golden, CO.

The year is made by gridshare's own models, not measured: Ineichen clear sky times the
stochastic clear-sky index (seed 2026), split into DNI/DHI with the Erbs model; air temperature
from the seasonal climatology plus a slow random anomaly and a cooling on cloudy days; wind from
the Weibull AR(1) model at 10 m. Hours are local standard time (UTC-7); EPW hour ``h`` holds the
values of the hour ending at ``h``, which the models evaluate at the hour's midpoint.

Run ``.venv/bin/python scripts/make_sample_weather.py`` to regenerate the file (deterministic).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pvlib

from gridshare.profiles.load import ar1_filter, rng_for
from gridshare.profiles.solar import Site, clear_sky, clear_sky_index, seasonal_air_temperature
from gridshare.profiles.wind import wind_speed
from gridshare.timeindex import make_index

SITE = Site(39.742, -105.179, 1829.0, "Etc/GMT+7")
YEAR = 2023
SEED = 2026
OUT = Path(__file__).resolve().parents[1] / "examples" / "data" / "golden_co_sample.epw"


def build_year() -> pd.DataFrame:
    """Hourly synthetic weather of one year at :data:`SITE` (step-start labels)."""
    index = make_index(f"{YEAR}-01-01", "1h", SITE.timezone, end=f"{YEAR + 1}-01-01")
    mid = index + pd.Timedelta(minutes=30)
    cs = clear_sky(SITE, index)
    kt = clear_sky_index(index, seed=SEED, cloudiness=0.3).to_numpy()
    ghi = kt * cs["ghi"].to_numpy()
    solpos = pvlib.solarposition.get_solarposition(mid, SITE.latitude, SITE.longitude,
                                                   SITE.altitude)
    split = pvlib.irradiance.erbs(ghi, solpos["zenith"].to_numpy(), mid.day_of_year.to_numpy())
    rng = rng_for(SEED, YEAR, 101)
    # Synoptic temperature anomaly (lag-1 h correlation 0.98, 3 K) and cooler overcast hours.
    anomaly = 3.0 * ar1_filter(rng.standard_normal(len(index)), 0.98)
    temp = (seasonal_air_temperature(SITE, index).to_numpy() + anomaly
            - 4.0 * (1.0 - np.clip(kt, 0.0, 1.0)))
    wind = wind_speed(index, seed=SEED, weibull_shape=1.8, weibull_scale=4.0,
                      reference_height_m=10.0, hub_height_m=10.0).to_numpy()
    dew = temp - (6.0 + 8.0 * np.clip(kt, 0.0, 1.0))
    return pd.DataFrame({
        "ghi": ghi, "dni": split["dni"], "dhi": split["dhi"], "temp_air": temp,
        "temp_dew": dew, "wind_speed": wind,
        "etr": pvlib.irradiance.get_extra_radiation(mid).to_numpy()
        * np.clip(np.cos(np.radians(solpos["zenith"].to_numpy())), 0.0, None),
        "etrn": pvlib.irradiance.get_extra_radiation(mid).to_numpy(),
        "cover": np.round(10.0 * (1.0 - np.clip(kt, 0.0, 1.0)) / 0.8).clip(0, 10),
    }, index=index)


def _relative_humidity(temp: np.ndarray, dew: np.ndarray) -> np.ndarray:
    # Magnus formula over water, %.
    def es(t: np.ndarray) -> np.ndarray:
        return np.exp(17.625 * t / (243.04 + t))

    return np.clip(100.0 * es(dew) / es(temp), 1.0, 100.0)


def write_epw(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as an EPW file (35 fields per row, unused fields at their missing codes)."""
    pressure = pvlib.atmosphere.alt2pres(SITE.altitude)
    rh = _relative_humidity(frame["temp_air"].to_numpy(), frame["temp_dew"].to_numpy())
    header = [
        f"LOCATION,Golden (synthetic),CO,USA,gridshare synthetic,000000,{SITE.latitude},"
        f"{SITE.longitude},-7.0,{SITE.altitude}",
        "DESIGN CONDITIONS,0",
        "TYPICAL/EXTREME PERIODS,0",
        "GROUND TEMPERATURES,0",
        "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0",
        "COMMENTS 1,Synthetic typical year from gridshare models (scripts/make_sample_weather.py)"
        "; not measured data",
        "COMMENTS 2,Irradiance W/m2 as hour means; hours are local standard time UTC-7",
        "DATA PERIODS,1,1,Data,Sunday, 1/ 1,12/31",
    ]
    idx = frame.index
    lines = []
    # Vectorised formatting of each column, then joined row-wise.
    cols = [
        idx.year.astype(str), idx.month.astype(str), idx.day.astype(str),
        (idx.hour + 1).astype(str), pd.Index(["60"] * len(idx)), pd.Index(["*"] * len(idx)),
    ]

    def fmt(values: np.ndarray, spec: str) -> list[str]:
        return [format(v, spec) for v in values]

    numeric = [
        fmt(frame["temp_air"].to_numpy(), ".1f"), fmt(frame["temp_dew"].to_numpy(), ".1f"),
        fmt(rh, ".0f"), [f"{pressure:.0f}"] * len(idx),
        fmt(frame["etr"].to_numpy(), ".0f"), fmt(frame["etrn"].to_numpy(), ".0f"),
        ["9999"] * len(idx),
        fmt(frame["ghi"].to_numpy(), ".0f"), fmt(frame["dni"].to_numpy(), ".0f"),
        fmt(frame["dhi"].to_numpy(), ".0f"),
        ["999999"] * len(idx), ["999999"] * len(idx), ["999999"] * len(idx),
        ["9999"] * len(idx), ["999"] * len(idx), fmt(frame["wind_speed"].to_numpy(), ".1f"),
        fmt(frame["cover"].to_numpy(), ".0f"), fmt(frame["cover"].to_numpy(), ".0f"),
        ["9999"] * len(idx), ["99999"] * len(idx), ["9"] * len(idx), ["999999999"] * len(idx),
        ["999"] * len(idx), ["0.999"] * len(idx), ["999"] * len(idx), ["99"] * len(idx),
        ["0.2"] * len(idx), ["999"] * len(idx), ["99"] * len(idx),
    ]
    for row in zip(*(list(c) for c in cols), *numeric, strict=True):
        lines.append(",".join(row))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(header + lines) + "\n", encoding="ascii")


def main() -> None:
    frame = build_year()
    write_epw(frame, OUT)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e3:.0f} kB, {len(frame)} hours); "
          f"GHI {frame['ghi'].sum() / 1e3:.0f} kWh/m2/yr, "
          f"mean temperature {frame['temp_air'].mean():.1f} degC, "
          f"mean wind {frame['wind_speed'].mean():.2f} m/s")


if __name__ == "__main__":
    main()
