"""One year of hourly profiles for 1,000 members: wall time, memory and sanity figures.

Loads for all 1,000 members (six sectors mixed), PV for all 1,000 at one site (Golden, CO) with
tilts 10-50° and azimuths 120-240°, wind for 100. Target: under 5 s on a 2-core machine.

Run: ``.venv/bin/python benchmarks/profiles_1000.py``
"""

from __future__ import annotations

import resource
import time
import tracemalloc

import numpy as np

from gridshare.profiles import SECTORS, Site, pv_powers, sector_loads, wind_powers
from gridshare.timeindex import make_index

N_MEMBERS = 1000
N_WIND = 100
TARGET_S = 5.0


def main() -> None:
    index = make_index("2023-01-01", "1h", "America/Denver", end="2024-01-01")
    site = Site(39.742, -105.179, 1829.0, "America/Denver")
    rng = np.random.default_rng(0)
    sectors = [SECTORS[i % len(SECTORS)] for i in range(N_MEMBERS)]
    annual = rng.uniform(3e3, 5e6, N_MEMBERS)
    tilt = rng.uniform(10.0, 50.0, N_MEMBERS)
    azimuth = rng.uniform(120.0, 240.0, N_MEMBERS)
    kwp = rng.uniform(3.0, 500.0, N_MEMBERS)

    tracemalloc.start()
    t0 = time.perf_counter()
    loads = sector_loads(sectors, index, annual, seeds=np.arange(N_MEMBERS))
    t1 = time.perf_counter()
    pv = pv_powers(site, index, kwp, tilt, azimuth, seeds=np.arange(N_MEMBERS))
    t2 = time.perf_counter()
    wind = wind_powers(index, np.full(N_WIND, 3000.0), seeds=np.arange(N_WIND))
    t3 = time.perf_counter()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    max_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    dc = loads[[i for i, s in enumerate(sectors) if s == "data_center"]]
    yield_kwh_kwp = pv.sum(axis=1) / kwp  # 1 h steps: kW summed = kWh
    wall = t3 - t0
    print(f"members {N_MEMBERS} (wind {N_WIND}), {len(index)} hourly steps")
    print(f"load  {t1 - t0:6.2f} s   pv  {t2 - t1:6.2f} s   wind  {t3 - t2:6.2f} s")
    verdict = "ok" if wall < TARGET_S else "SLOW"
    print(f"wall  {wall:6.2f} s   (target < {TARGET_S:.0f} s: {verdict})")
    print(f"tracemalloc peak {peak / 1e6:7.1f} MB   max RSS {max_rss_mb:7.1f} MB")
    print(f"mean PV yield {yield_kwh_kwp.mean():7.1f} kWh/kWp "
          f"(min {yield_kwh_kwp.min():.0f}, max {yield_kwh_kwp.max():.0f})")
    print(f"data-centre load factor {np.mean(dc.mean(axis=1) / dc.max(axis=1)):.3f}")
    print(f"wind capacity factor {wind.mean() / 3000.0:.3f}")


if __name__ == "__main__":
    main()
