"""Quantities with units in case files.

Numbers in a case file are in the unit its field name says (``capacity_kw`` in kW, ``energy_kwh`` in
kWh). A text with a unit is also accepted and converted (``"25 MW"`` → 25,000 kW), so that nobody
has to multiply by 1,000 by hand — and a quantity of the wrong kind (``"100 MWh"`` for a power) is an
error rather than a silent mistake.
"""

from __future__ import annotations

import math
import re
from typing import Annotated

from pydantic import BeforeValidator

_POWER = {"W": 1e-3, "kW": 1.0, "MW": 1e3, "GW": 1e6, "kVA": 1.0, "MVA": 1e3}
_ENERGY = {"Wh": 1e-3, "kWh": 1.0, "MWh": 1e3, "GWh": 1e6}
_KINDS = {"power": (_POWER, "kW"), "energy": (_ENERGY, "kWh")}
_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-z]+)?\s*$")


def parse_quantity(value: object, kind: str) -> object:
    """Convert ``"25 MW"`` / ``"100 MWh"`` to kW / kWh; numbers pass through unchanged.

    Parameters
    ----------
    value : object
        A number (already in kW or kWh) or a text ``"<number> <unit>"``.
    kind : {"power", "energy"}
        What the field holds.

    Returns
    -------
    object
        A float in kW or kWh, or ``value`` unchanged when it is not a text (pydantic then checks it).

    Raises
    ------
    ValueError
        For a text that is not a quantity, an unknown unit, or a unit of the other kind.

    Examples
    --------
    >>> parse_quantity("25 MW", "power")
    25000.0
    >>> parse_quantity("0.5 GWh", "energy")
    500000.0
    >>> parse_quantity(3.0, "power")
    3.0
    """
    if not isinstance(value, str):
        return value
    units, base = _KINDS[kind]
    match = _QUANTITY.match(value)
    if match is None:
        raise ValueError(f"{value!r} is not a number with a unit like '25 MW' or '100 MWh'")
    number, unit = float(match.group(1)), (match.group(2) or base).lower()
    lower = {name.lower(): factor for name, factor in units.items()}
    if unit in lower:
        return number * lower[unit]
    other = "energy" if kind == "power" else "power"
    if unit in {name.lower() for name in _KINDS[other][0]}:
        raise ValueError(f"{value!r} is an {other} but this field is a {kind} in {base} "
                         f"(use one of {', '.join(units)})")
    raise ValueError(f"unknown unit {match.group(2)!r} in {value!r}; use one of {', '.join(units)}")


def _finite(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number (not NaN or infinity)")
    return value


PowerKW = Annotated[float, BeforeValidator(lambda v: _finite(parse_quantity(v, "power")))]
"""A power in kW; accepts ``"25 MW"``-style texts."""

EnergyKWh = Annotated[float, BeforeValidator(lambda v: _finite(parse_quantity(v, "energy")))]
"""An energy in kWh; accepts ``"100 MWh"``-style texts."""
