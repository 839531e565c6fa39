"""Input checks shared by the procurement modules: errors that name the parameter and the fix."""

from __future__ import annotations

from typing import Any

import numpy as np


class ProcurementError(ValueError):
    """A procurement input or setting that cannot be used; the message says which and why."""


def energy_array(name: str, values: Any, ndim: int = 2) -> np.ndarray:
    """``values`` as a float array of ``ndim`` dimensions, finite and non-negative.

    Tiny negatives (down to ``-1e-9`` times the largest magnitude, e.g. from a solver) are read
    as zero; anything lower raises.
    """
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ProcurementError(f"{name} must be numbers; could not read it as an array ({exc})") from exc
    if array.ndim != ndim:
        shape = "(participant, hour)" if ndim == 2 else "(hour,)"
        raise ProcurementError(f"{name} must have shape {shape}; got shape {array.shape}")
    if array.size == 0:
        raise ProcurementError(f"{name} is empty; give at least one participant and one hour")
    # one sum is NaN or infinite iff some value is (or the values overflow): cheap first test
    if not np.isfinite(array.sum()):
        finite = np.isfinite(array)
        if not finite.all():
            first = np.unravel_index(int(np.argmin(finite)), array.shape)
            raise ProcurementError(
                f"{name} holds {int((~finite).sum())} NaN or infinite "
                f"values (first at position {tuple(int(i) for i in first)}); "
                "fill them"
            )
    lowest = float(array.min())
    if lowest < 0.0:
        if lowest < -1e-9 * max(1.0, float(np.abs(array).max())):
            first = np.unravel_index(int(np.argmin(array)), array.shape)
            raise ProcurementError(
                f"{name} holds a negative energy {lowest:g} at position "
                f"{tuple(int(i) for i in first)}; energies must be >= 0"
            )
        array = np.maximum(array, 0.0)
    return array


def same_shape(**arrays: np.ndarray) -> None:
    """Raise unless every array has the same shape, naming each shape."""
    shapes = {name: np.shape(a) for name, a in arrays.items()}
    if len(set(shapes.values())) > 1:
        listed = ", ".join(f"{name} {shape}" for name, shape in shapes.items())
        raise ProcurementError(f"shapes differ: {listed}; give one value per participant and hour")


def participant_mask(name: str, values: Any, n: int) -> np.ndarray:
    """A boolean mask with one entry per participant (``None`` means all ``True``)."""
    if values is None:
        return np.ones(n, dtype=bool)
    mask = np.asarray(values)
    if mask.shape != (n,) or mask.dtype.kind not in "bi":
        raise ProcurementError(
            f"{name} must be {n} booleans, one per participant; got shape {mask.shape} of {mask.dtype}"
        )
    return mask.astype(bool)


def fraction(name: str, value: Any, low: float = 0.0, high: float = 1.0) -> float:
    """A finite number in ``[low, high]``."""
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ProcurementError(f"{name} must be a number; got {value!r}") from exc
    if not (np.isfinite(number) and low <= number <= high):
        raise ProcurementError(f"{name} = {value!r} is not allowed; use a value in [{low:g}, {high:g}]")
    return number


def price(name: str, value: Any) -> float:
    """A finite, non-negative price per MWh."""
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ProcurementError(f"{name} must be a number (currency/MWh); got {value!r}") from exc
    if not (np.isfinite(number) and number >= 0.0):
        raise ProcurementError(f"{name} = {value!r} is not allowed; prices are finite currency/MWh >= 0")
    return number
