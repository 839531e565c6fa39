"""CAISO: 5-minute real-time dispatch (15-minute market above it) and its main reserves.

From the CAISO tariff and the Market Operations BPM: regulation must be sustainable for 60
minutes in the day-ahead market, spinning and non-spinning reserve must reach full output within
10 minutes and be sustained for 30 minutes; non-spinning may come from offline units.

========== ====== ========= ======== =================================
product    dir.   duration  deploy   what it is
========== ====== ========= ======== =================================
reg_up     up     1 h       10 min   Regulation Up
reg_down   down   1 h       10 min   Regulation Down
spin       up     0.5 h     10 min   Spinning Reserve
non_spin   up     0.5 h     10 min   Non-Spinning Reserve
========== ====== ========= ======== =================================
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gridshare.microgrid.iso.base import ISOAdapter, MarketInterval, ProductRule
from gridshare.microgrid.iso.ercot import _with_durations

CAISO_PRODUCTS = (
    ProductRule("reg_up", "up", 1.0, 10, True, 10.0, "Regulation Up", ("regup", "ru")),
    ProductRule("reg_down", "down", 1.0, 10, True, 7.0, "Regulation Down", ("regdown", "rd")),
    ProductRule("spin", "up", 0.5, 10, True, 6.0, "Spinning Reserve",
                ("spinning", "spinning reserve", "sr")),
    ProductRule("non_spin", "up", 0.5, 10, False, 2.0, "Non-Spinning Reserve",
                ("nonspin", "nr", "non-spinning reserve")),
)


@dataclass
class CAISOAdapter(ISOAdapter):
    """CAISO market rules.

    Examples
    --------
    >>> CAISOAdapter().product("Spinning Reserve").duration_h
    0.5
    """

    name: str = "CAISO"
    market_interval: MarketInterval = field(default_factory=lambda: MarketInterval(
        rtm_interval_min=5, dam_interval_min=60, fmm_interval_min=15))
    base_price: float = 45.0
    peak_hours: tuple[int, ...] = (17, 18, 19, 20, 21)
    peak_multiplier: float = 2.5
    durations_h: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.as_products = _with_durations(CAISO_PRODUCTS, self.durations_h, self.name)
