"""What every ISO adapter offers: market intervals, ancillary products and their rules.

An adapter turns a market's public rules into numbers the dispatch model uses: the real-time
settlement interval, the ancillary-service (AS) products with their direction, sustained
duration and deployment time, the most a battery or generator may offer of a product given its
power and state of charge, and default prices for cases that give none.

Units: power MW, energy MWh, durations h, deployment minutes, prices currency per MWh (energy)
and currency per MW per hour (capacity).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np


class ISOError(ValueError):
    """An unknown ISO, product or an invalid adapter parameter; the message says what is allowed."""


class ASProduct(StrEnum):
    """Ancillary-service products known to the built-in adapters (their canonical names)."""

    REG_UP = "reg_up"
    REG_DOWN = "reg_down"
    REGULATION = "regulation"  # symmetric: the same MW up and down (PJM)
    RRS = "rrs"
    ECRS = "ecrs"
    SPIN = "spin"
    NON_SPIN = "non_spin"
    SYNC_RESERVE = "sync_reserve"
    NON_SYNC_RESERVE = "non_sync_reserve"
    SECONDARY_RESERVE = "secondary_reserve"


DIRECTIONS = ("up", "down", "symmetric")


@dataclass(frozen=True)
class MarketInterval:
    """Market timing of an ISO.

    Parameters
    ----------
    rtm_interval_min : int
        Real-time dispatch and settlement interval, minutes.
    dam_interval_min : int
        Day-ahead market interval, minutes.
    fmm_interval_min : int or None
        Fifteen-minute (or other intermediate) market interval, minutes, where one exists.
    """

    rtm_interval_min: int = 5
    dam_interval_min: int = 60
    fmm_interval_min: int | None = None


@dataclass(frozen=True)
class ProductRule:
    """Rules of one ancillary-service product.

    Parameters
    ----------
    name : str
        Canonical name (an :class:`ASProduct` value for built-in products).
    direction : {"up", "down", "symmetric"}
        Up = more injection (or less consumption); symmetric = the same MW both ways.
    duration_h : float
        How long a provider must be able to sustain a full deployment, h (energy backing).
    deploy_minutes : float
        Time to full deployment, minutes.
    online_only : bool
        Whether a generator must be online (spinning) to provide it.
    default_price : float
        Capacity price used when a case gives none, currency per MW per hour.
    description : str
    aliases : tuple of str
        Other spellings accepted by :meth:`ISOAdapter.product` (case-insensitive).
    """

    name: str
    direction: str
    duration_h: float
    deploy_minutes: float
    online_only: bool = True
    default_price: float = 0.0
    description: str = ""
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise ISOError(f"product {self.name!r}: direction must be one of {DIRECTIONS}; "
                           f"got {self.direction!r}")
        for attr in ("duration_h", "deploy_minutes", "default_price"):
            value = getattr(self, attr)
            if not (np.isfinite(value) and value >= 0):
                raise ISOError(f"product {self.name!r}: {attr} must be finite and >= 0; "
                               f"got {value}")


def _key(text: str) -> str:
    return "".join(ch for ch in str(text).lower() if ch.isalnum())


@dataclass
class ISOAdapter:
    """Base class of ISO adapters; a subclass fills in the market's public rules.

    Attributes
    ----------
    name : str
        ISO name, upper case.
    market_interval : MarketInterval
    as_products : dict of str to ProductRule
        Products by canonical name.
    base_price : float
        Default mean energy price, currency/MWh.
    peak_hours : tuple of int
        Default peak hours (local hour of day, 0..23).
    peak_multiplier : float
        Default ratio of the peak-hour to the off-peak energy price.
    """

    name: str = "BASE"
    market_interval: MarketInterval = field(default_factory=MarketInterval)
    as_products: dict[str, ProductRule] = field(default_factory=dict)
    base_price: float = 35.0
    peak_hours: tuple[int, ...] = (7, 8, 9, 17, 18, 19, 20)
    peak_multiplier: float = 2.0

    # --- products -------------------------------------------------------------------------
    def product(self, product: str | ASProduct) -> ProductRule:
        """The rule of ``product``, found by canonical name or alias (case-insensitive).

        Examples
        --------
        >>> from gridshare.microgrid.iso import get_iso_adapter
        >>> get_iso_adapter("ERCOT").product("Reg-Up").name
        'reg_up'
        """
        wanted = _key(product.value if isinstance(product, ASProduct) else product)
        for rule in self.as_products.values():
            if wanted in {_key(rule.name), *(_key(a) for a in rule.aliases)}:
                return rule
        raise ISOError(f"{self.name} has no ancillary product {str(product)!r}; "
                       f"allowed: {sorted(self.as_products)}")

    def price_defaults(self) -> dict[str, float]:
        """Default capacity price of every product, currency per MW per hour."""
        return {name: rule.default_price for name, rule in self.as_products.items()}

    # --- rules ------------------------------------------------------------------------------
    def get_reserve_requirement(self, product: str | ASProduct, capacity_mw: float,
                                soc_mwh: float, *, energy_mwh: float = np.inf,
                                soc_floor_mwh: float = 0.0, efficiency: float = 1.0) -> float:
        """Most a battery may offer of ``product`` given its power and state of charge, MW.

        The offer is limited by the power available (``capacity_mw``) and by the energy that
        sustains it for the product's duration: up products draw on ``soc - soc_floor`` (times
        the discharge efficiency), down products fill ``energy - soc`` (divided by the charge
        efficiency); a symmetric product needs both.

        Parameters
        ----------
        product : str or ASProduct
        capacity_mw : float
            Power headroom in the product's direction, MW (>= 0).
        soc_mwh : float
            Stored energy, MWh.
        energy_mwh : float
            Energy capacity, MWh (``inf`` ignores the down-side energy limit).
        soc_floor_mwh : float
            Energy that may not be used (ride-through reserve), MWh.
        efficiency : float
            One-way efficiency applied to the sustained energy, (0, 1].

        Returns
        -------
        float
            Qualified MW.

        Examples
        --------
        >>> from gridshare.microgrid.iso import get_iso_adapter
        >>> ercot = get_iso_adapter("ERCOT")
        >>> ercot.get_reserve_requirement("rrs", capacity_mw=25, soc_mwh=50)  # 50 MWh / 1 h
        25.0
        >>> ercot.get_reserve_requirement("non_spin", capacity_mw=25, soc_mwh=50)  # 50 / 4 h
        12.5
        """
        rule = self.product(product)
        for label, value in (("capacity_mw", capacity_mw), ("soc_mwh", soc_mwh),
                             ("soc_floor_mwh", soc_floor_mwh)):
            if not (np.isfinite(value) and value >= 0):
                raise ISOError(f"{label} must be finite and >= 0; got {value}")
        if not 0 < efficiency <= 1:
            raise ISOError(f"efficiency must be in (0, 1]; got {efficiency}")
        if rule.duration_h == 0:
            return float(capacity_mw)
        up = max(soc_mwh - soc_floor_mwh, 0.0) * efficiency / rule.duration_h
        down = max(energy_mwh - soc_mwh, 0.0) / efficiency / rule.duration_h
        limit = {"up": up, "down": down, "symmetric": min(up, down)}[rule.direction]
        return float(min(capacity_mw, limit))

    def check_interval(self, interval_minutes: float) -> None:
        """Raise :class:`ISOError` unless the dispatch interval is a whole number of market
        intervals (so every dispatch step settles on real-time prices)."""
        rtm = self.market_interval.rtm_interval_min
        ratio = interval_minutes / rtm
        if interval_minutes <= 0 or abs(ratio - round(ratio)) > 1e-9:
            raise ISOError(f"interval_minutes={interval_minutes} must be a positive multiple of "
                           f"the {self.name} real-time interval of {rtm} minutes")

    def describe(self) -> dict[str, object]:
        """A plain summary for reports and the CLI."""
        return {"iso": self.name,
                "rtm_interval_min": self.market_interval.rtm_interval_min,
                "products": {n: {"direction": r.direction, "duration_h": r.duration_h,
                                 "deploy_minutes": r.deploy_minutes,
                                 "default_price": r.default_price}
                             for n, r in self.as_products.items()}}
