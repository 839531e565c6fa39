"""PJM: 5-minute real-time dispatch and settlement, regulation and the reserve products.

From PJM Manual 11 (Energy & Ancillary Services Market Operations): regulation is one
*symmetric* product (a resource offers the same MW up and down, following RegA or RegD);
synchronized and non-synchronized reserve respond within 10 minutes, secondary reserve within
30 minutes; a reserve event is sustained for up to 30 minutes.

=================== ========== ========= ======== ==========================================
product             dir.       duration  deploy   what it is
=================== ========== ========= ======== ==========================================
regulation          symmetric  0.5 h     5 min    Regulation (RegA/RegD), same MW up and down
sync_reserve        up         0.5 h     10 min   Synchronized Reserve (spinning)
non_sync_reserve    up         0.5 h     10 min   Non-Synchronized Reserve (offline units)
secondary_reserve   up         0.5 h     30 min   Secondary (30-minute) Reserve
=================== ========== ========= ======== ==========================================
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gridshare.microgrid.iso.base import ISOAdapter, MarketInterval, ProductRule
from gridshare.microgrid.iso.ercot import _with_durations

PJM_PRODUCTS = (
    ProductRule("regulation", "symmetric", 0.5, 5, True, 15.0, "Regulation (RegA/RegD)",
                ("reg", "rega", "regd")),
    ProductRule("sync_reserve", "up", 0.5, 10, True, 5.0, "Synchronized Reserve",
                ("synchronized reserve", "spin", "srmcp")),
    ProductRule("non_sync_reserve", "up", 0.5, 10, False, 2.0, "Non-Synchronized Reserve",
                ("non-synchronized reserve", "nsr", "non_spin")),
    ProductRule("secondary_reserve", "up", 0.5, 30, False, 1.0, "Secondary (30-minute) Reserve",
                ("30-minute reserve", "dasr")),
)


@dataclass
class PJMAdapter(ISOAdapter):
    """PJM market rules.

    Examples
    --------
    >>> PJMAdapter().product("RegD").direction
    'symmetric'
    """

    name: str = "PJM"
    market_interval: MarketInterval = field(
        default_factory=lambda: MarketInterval(rtm_interval_min=5, dam_interval_min=60))
    base_price: float = 40.0
    peak_hours: tuple[int, ...] = (7, 8, 9, 16, 17, 18, 19, 20)
    durations_h: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.as_products = _with_durations(PJM_PRODUCTS, self.durations_h, self.name)
