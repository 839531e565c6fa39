"""A configurable adapter for any market, and the registry that finds an adapter by name."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gridshare.microgrid.iso.base import ISOAdapter, ISOError, MarketInterval, ProductRule

GENERIC_PRODUCTS = (
    ProductRule("reg_up", "up", 0.5, 5, True, 10.0, "Regulation Up", ("regup",)),
    ProductRule("reg_down", "down", 0.5, 5, True, 6.0, "Regulation Down", ("regdown",)),
    ProductRule("spin", "up", 1.0, 10, True, 5.0, "Spinning Reserve", ("spinning",)),
)


@dataclass
class GenericAdapter(ISOAdapter):
    """A market described by its parameters.

    Parameters
    ----------
    name : str
    rtm_interval_min : int
        Real-time interval, minutes.
    products : mapping of str to dict or ProductRule, optional
        Products by name; a dict gives ``direction``, ``duration_h`` and optionally
        ``deploy_minutes``, ``online_only``, ``default_price``, ``description``, ``aliases``.
        Default: regulation up/down and spinning reserve.

    Examples
    --------
    >>> a = GenericAdapter(products={"fast": {"direction": "up", "duration_h": 0.25}})
    >>> a.get_reserve_requirement("fast", capacity_mw=10, soc_mwh=1.0)
    4.0
    """

    name: str = "GENERIC"
    rtm_interval_min: int = 5
    products: Mapping[str, Any] | None = None
    market_interval: MarketInterval = field(default_factory=MarketInterval)

    def __post_init__(self) -> None:
        if not (isinstance(self.rtm_interval_min, int) and self.rtm_interval_min > 0):
            raise ISOError(f"rtm_interval_min must be a positive integer; got "
                           f"{self.rtm_interval_min!r}")
        self.market_interval = MarketInterval(rtm_interval_min=self.rtm_interval_min)
        if self.products is None:
            self.as_products = {r.name: r for r in GENERIC_PRODUCTS}
            return
        built = {}
        for pname, spec in self.products.items():
            if isinstance(spec, ProductRule):
                built[pname] = spec
                continue
            if not isinstance(spec, Mapping) or "direction" not in spec or (
                    "duration_h" not in spec):
                raise ISOError(f"product {pname!r} needs 'direction' and 'duration_h'; got "
                               f"{spec!r}")
            extra = sorted(set(spec) - {"direction", "duration_h", "deploy_minutes",
                                        "online_only", "default_price", "description",
                                        "aliases"})
            if extra:
                raise ISOError(f"product {pname!r} has unknown key(s) {extra}")
            built[pname] = ProductRule(
                pname, str(spec["direction"]), float(spec["duration_h"]),
                float(spec.get("deploy_minutes", 10)), bool(spec.get("online_only", True)),
                float(spec.get("default_price", 0.0)), str(spec.get("description", "")),
                tuple(spec.get("aliases", ())))
        self.as_products = built


_REGISTRY: dict[str, Callable[..., ISOAdapter]] = {}


def register_iso(name: str, factory: Callable[..., ISOAdapter]) -> None:
    """Make ``get_iso_adapter(name)`` return ``factory(**kwargs)`` (name case-insensitive)."""
    _REGISTRY[name.upper()] = factory


def available_isos() -> list[str]:
    """Names the registry knows."""
    return sorted(_REGISTRY)


def get_iso_adapter(name: str, **kwargs: Any) -> ISOAdapter:
    """The adapter of the ISO ``name`` (case-insensitive).

    Parameters
    ----------
    name : str
        One of :func:`available_isos` ("ERCOT", "CAISO", "PJM", "GENERIC", ...).
    **kwargs
        Passed to the adapter (e.g. ``durations_h`` or, for GENERIC, ``products``).

    Examples
    --------
    >>> get_iso_adapter("ercot").market_interval.rtm_interval_min
    5
    """
    key = str(name).upper()
    if key not in _REGISTRY:
        raise ISOError(f"unknown ISO {name!r}; allowed: {available_isos()}")
    return _REGISTRY[key](**kwargs)
