"""ERCOT: 5-minute real-time dispatch (SCED) and its five ancillary services.

Products and the durations an energy storage resource must sustain them (ERCOT Nodal Protocols,
Section 3.16 and the state-of-charge rules for ESRs), as used in planning studies:

========== ====== ========= ======== ===================================================
product    dir.   duration  deploy   what it is
========== ====== ========= ======== ===================================================
reg_up     up     0.5 h     5 min    Regulation Up, follows AGC set points
reg_down   down   0.5 h     5 min    Regulation Down, follows AGC set points
rrs        up     1 h       10 min   Responsive Reserve (primary and fast frequency)
ecrs       up     2 h       10 min   ERCOT Contingency Reserve Service
non_spin   up     4 h       30 min   Non-Spinning Reserve (offline units may provide it)
========== ====== ========= ======== ===================================================

Durations are parameters of the adapter: pass ``durations_h={...}`` to study a rule change.
Default prices are typical summer clearing prices, currency per MW per hour.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gridshare.microgrid.iso.base import ISOAdapter, ISOError, MarketInterval, ProductRule

ERCOT_PRODUCTS = (
    ProductRule("reg_up", "up", 0.5, 5, True, 12.0, "Regulation Up",
                ("regup", "regulation up", "reg-up")),
    ProductRule("reg_down", "down", 0.5, 5, True, 8.0, "Regulation Down",
                ("regdown", "regdn", "regulation down", "reg-down")),
    ProductRule("rrs", "up", 1.0, 10, True, 10.0, "Responsive Reserve Service",
                ("responsive reserve", "spin")),
    ProductRule("ecrs", "up", 2.0, 10, True, 6.0, "ERCOT Contingency Reserve Service",
                ("contingency reserve",)),
    ProductRule("non_spin", "up", 4.0, 30, False, 3.0, "Non-Spinning Reserve",
                ("nonspin", "non-spin", "nsrs")),
)


@dataclass
class ERCOTAdapter(ISOAdapter):
    """ERCOT market rules.

    Parameters
    ----------
    durations_h : dict of str to float, optional
        Override the sustained duration of some products, h.

    Examples
    --------
    >>> a = ERCOTAdapter()
    >>> a.market_interval.rtm_interval_min, sorted(a.as_products)
    (5, ['ecrs', 'non_spin', 'reg_down', 'reg_up', 'rrs'])
    """

    name: str = "ERCOT"
    market_interval: MarketInterval = field(
        default_factory=lambda: MarketInterval(rtm_interval_min=5, dam_interval_min=60))
    base_price: float = 35.0
    durations_h: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.as_products = _with_durations(ERCOT_PRODUCTS, self.durations_h, self.name)


def _with_durations(rules: tuple[ProductRule, ...], durations: dict[str, float],
                    iso: str) -> dict[str, ProductRule]:
    from dataclasses import replace

    products = {r.name: r for r in rules}
    unknown = sorted(set(durations) - set(products))
    if unknown:
        raise ISOError(f"{iso} durations_h names unknown product(s) {unknown}; "
                       f"allowed: {sorted(products)}")
    for name, hours in durations.items():
        products[name] = replace(products[name], duration_h=float(hours))
    return products
