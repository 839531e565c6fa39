"""Energy-matching, self-supply, savings and fairness metrics as pure functions on arrays.

Every function accepts array-likes (lists, numpy arrays, pandas or xarray objects, which are read
as plain arrays) and returns a ``float`` when it reduces everything, or a ``numpy.ndarray`` when an
``axis`` is given. Energies are per step, in any one unit (kWh usually); ratios are fractions 0..1
unless the name says ``pct``.

Conventions
-----------
- Inputs that are paired (``load`` and ``clean``) must have the same shape; a mismatch raises a
  ``ValueError`` naming both shapes. NaN or infinite values raise a ``ValueError``.
- Energy flows must be non-negative. Tiny negatives from a solver (down to ``-1e-9`` times the
  largest magnitude) are read as zero; anything below raises a ``ValueError``.
- A zero denominator (no load, no generation, a zero mean or baseline) gives ``nan``, not an error,
  so a member without PV has an undefined self-consumption rather than a crash.
- Matching is per step as given: for *hourly* CFE from 15-minute data, sum the data to hours first.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

_NEGATIVE_TOLERANCE = 1e-9

__all__ = [
    "cfe_score",
    "coefficient_of_variation",
    "gini",
    "instantaneous_self_consumption",
    "instantaneous_self_sufficiency",
    "matched_energy",
    "savings_pct",
    "self_consumption",
    "self_sufficiency",
    "volumetric_re",
]


def _values(name: str, values: ArrayLike, nonnegative: bool = False) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numbers; could not read it as an array ({exc})") from exc
    if array.size and not np.all(np.isfinite(array)):
        bad = np.flatnonzero(~np.isfinite(array.ravel()))
        raise ValueError(f"{name} holds {len(bad)} NaN or infinite values (first at flat position "
                         f"{bad[0]}); fill or drop them first")
    if nonnegative and array.size:
        tolerance = _NEGATIVE_TOLERANCE * max(1.0, float(np.max(np.abs(array))))
        lowest = float(np.min(array))
        if lowest < -tolerance:
            raise ValueError(f"{name} holds a negative energy {lowest:g}; energy flows must be "
                             ">= 0")
        array = np.maximum(array, 0.0)
    return array


def _pair(name_a: str, a: ArrayLike, name_b: str, b: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    x = _values(name_a, a, nonnegative=True)
    y = _values(name_b, b, nonnegative=True)
    if x.shape != y.shape:
        raise ValueError(f"{name_a} has shape {x.shape} but {name_b} has shape {y.shape}; "
                         "give one value of each per step")
    return x, y


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> float | np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = np.where(denominator != 0, numerator / np.where(denominator != 0, denominator, 1.0),
                       np.nan)
    return float(out) if np.ndim(out) == 0 else out


def volumetric_re(load: ArrayLike, clean: ArrayLike, axis: int | None = None) -> float | np.ndarray:
    """Volumetric renewable share: ``sum(clean) / sum(load)``.

    Counts clean energy whenever it is produced, so it can exceed 1 (over-procurement).

    Parameters
    ----------
    load : array-like
        Consumption per step, kWh (>= 0).
    clean : array-like
        Clean (carbon-free) supply per step, kWh (>= 0), same shape as ``load``.
    axis : int, optional
        Axis to sum over (the time axis); default all.

    Returns
    -------
    float or numpy.ndarray
        Fraction (may exceed 1); ``nan`` where the load sums to zero.

    Examples
    --------
    >>> volumetric_re([2, 2], [4, 0])
    1.0
    """
    x, y = _pair("load", load, "clean", clean)
    return _ratio(y.sum(axis=axis), x.sum(axis=axis))


def matched_energy(load: ArrayLike, clean: ArrayLike) -> np.ndarray:
    """Clean energy matched to load in each step: ``min(load, clean)``, kWh.

    Parameters
    ----------
    load, clean : array-like
        Consumption and clean supply per step, kWh (>= 0), same shape.

    Returns
    -------
    numpy.ndarray
        Matched energy per step, kWh, shape of the inputs.

    Examples
    --------
    >>> matched_energy([2, 2], [4, 0]).tolist()
    [2.0, 0.0]
    """
    x, y = _pair("load", load, "clean", clean)
    return np.minimum(x, y)


def cfe_score(load: ArrayLike, clean: ArrayLike, axis: int | None = None) -> float | np.ndarray:
    """Time-matched carbon-free energy score: ``sum(min(load, clean)) / sum(load)``.

    With hourly steps this is the hourly CFE score of 24/7 procurement; it never exceeds 1 nor
    :func:`volumetric_re`.

    Parameters
    ----------
    load : array-like
        Consumption per step, kWh (>= 0).
    clean : array-like
        Clean supply per step, kWh (>= 0), same shape as ``load``.
    axis : int, optional
        Axis to sum over (the time axis); default all.

    Returns
    -------
    float or numpy.ndarray
        Fraction 0..1; ``nan`` where the load sums to zero.

    Examples
    --------
    >>> cfe_score([2, 2], [4, 0])
    0.5
    """
    x, y = _pair("load", load, "clean", clean)
    return _ratio(np.minimum(x, y).sum(axis=axis), x.sum(axis=axis))


def self_sufficiency(load: ArrayLike, grid_import: ArrayLike,
                     axis: int | None = None) -> float | np.ndarray:
    """Share of load not bought from the grid: ``1 - sum(grid_import) / sum(load)``.

    Uses metered flows, so energy stored in a battery and used later counts as local supply.

    Parameters
    ----------
    load : array-like
        Consumption per step, kWh (>= 0).
    grid_import : array-like
        Energy bought from the grid per step, kWh (>= 0), same shape as ``load``.
    axis : int, optional
        Axis to sum over; default all.

    Returns
    -------
    float or numpy.ndarray
        Fraction (below 0 if imports exceed load, e.g. to charge a battery that then exports);
        ``nan`` where the load sums to zero.

    Examples
    --------
    >>> self_sufficiency([4, 4], [0, 2])
    0.75
    """
    x, y = _pair("load", load, "grid_import", grid_import)
    return 1.0 - _ratio(y.sum(axis=axis), x.sum(axis=axis))


def self_consumption(generation: ArrayLike, grid_export: ArrayLike,
                     axis: int | None = None) -> float | np.ndarray:
    """Share of local generation not exported: ``1 - sum(grid_export) / sum(generation)``.

    Parameters
    ----------
    generation : array-like
        Local generation per step, kWh (>= 0).
    grid_export : array-like
        Energy sold to the grid per step, kWh (>= 0), same shape as ``generation``.
    axis : int, optional
        Axis to sum over; default all.

    Returns
    -------
    float or numpy.ndarray
        Fraction; ``nan`` where generation sums to zero (nothing to consume).

    Examples
    --------
    >>> self_consumption([5, 5], [0, 4])
    0.6
    """
    x, y = _pair("generation", generation, "grid_export", grid_export)
    return 1.0 - _ratio(y.sum(axis=axis), x.sum(axis=axis))


def instantaneous_self_sufficiency(load: ArrayLike, generation: ArrayLike,
                                   axis: int | None = None) -> float | np.ndarray:
    """Self-sufficiency from load and generation alone: ``sum(min(load, generation)) / sum(load)``.

    For when grid flows are unknown and there is no storage: in each step generation serves load
    first (the denominator is the *load*). A battery moves energy between steps, so with storage
    use :func:`self_sufficiency` on metered imports instead.

    Parameters
    ----------
    load : array-like
        Consumption per step, kWh (>= 0).
    generation : array-like
        Local generation per step, kWh (>= 0), same shape as ``load``.
    axis : int, optional
        Axis to sum over; default all.

    Returns
    -------
    float or numpy.ndarray
        Fraction 0..1; ``nan`` where the load sums to zero.

    Examples
    --------
    >>> instantaneous_self_sufficiency(load=[4, 4], generation=[6, 0])
    0.5
    """
    x, y = _pair("load", load, "generation", generation)
    return _ratio(np.minimum(x, y).sum(axis=axis), x.sum(axis=axis))


def instantaneous_self_consumption(load: ArrayLike, generation: ArrayLike,
                                   axis: int | None = None) -> float | np.ndarray:
    """Self-consumption from load and generation alone: ``sum(min(load, gen)) / sum(gen)``.

    As :func:`instantaneous_self_sufficiency` but the denominator is the *generation*.

    Parameters
    ----------
    load : array-like
        Consumption per step, kWh (>= 0).
    generation : array-like
        Local generation per step, kWh (>= 0), same shape as ``load``.
    axis : int, optional
        Axis to sum over; default all.

    Returns
    -------
    float or numpy.ndarray
        Fraction 0..1; ``nan`` where generation sums to zero.

    Examples
    --------
    >>> instantaneous_self_consumption(load=[4, 4], generation=[6, 0])
    0.6666666666666666
    """
    x, y = _pair("load", load, "generation", generation)
    return _ratio(np.minimum(x, y).sum(axis=axis), y.sum(axis=axis))


def gini(values: ArrayLike, axis: int | None = None) -> float | np.ndarray:
    """Gini coefficient, mean-absolute-difference form: ``sum_ij |x_i - x_j| / (2 n^2 |mean|)``.

    Using ``|mean|`` keeps the formula defined for values of either sign (costs or bills that may
    be negative): then it is still 0 for equal values and scale invariant, but may exceed 1. For
    non-negative values it lies in ``[0, 1 - 1/n]``. Computed in O(n log n) from sorted values.

    Parameters
    ----------
    values : array-like
        One value per member (cost, benefit, savings).
    axis : int, optional
        Axis holding the members; default all values together.

    Returns
    -------
    float or numpy.ndarray
        ``nan`` where the mean is zero or there are no values.

    Examples
    --------
    >>> gini([1, 1, 1, 1])
    0.0
    >>> gini([0, 0, 0, 4])  # one member holds everything: 1 - 1/n
    0.75
    """
    x = _values("values", values)
    if axis is None:
        x = x.ravel()
        axis = 0
    x = np.moveaxis(x, axis, -1)
    n = x.shape[-1]
    if n == 0:
        return _ratio(np.zeros(x.shape[:-1]), np.zeros(x.shape[:-1]))
    # Shifting by the minimum changes no difference but makes equal values give exactly 0.
    ranked = np.sort(x, axis=-1)
    ranked = ranked - ranked[..., :1]
    # sum_ij |x_i - x_j| = 2 sum_k (2k - n + 1) x_(k) for ascending x_(k), k = 0..n-1
    weights = 2.0 * np.arange(n) - n + 1.0
    pair_sum = np.maximum(2.0 * (ranked * weights).sum(axis=-1), 0.0)
    return _ratio(pair_sum, 2.0 * n * n * np.abs(x.mean(axis=-1)))


def coefficient_of_variation(values: ArrayLike, axis: int | None = None) -> float | np.ndarray:
    """Coefficient of variation: population standard deviation over ``|mean|``.

    Uses the population standard deviation (``ddof=0``): the members are the whole community, not
    a sample of it.

    Parameters
    ----------
    values : array-like
        One value per member (cost, benefit), any unit.
    axis : int, optional
        Axis holding the members; default all values together.

    Returns
    -------
    float or numpy.ndarray
        Non-negative ratio; ``nan`` where the mean is zero or there are no values.

    Examples
    --------
    >>> coefficient_of_variation([1, 3])
    0.5
    """
    x = _values("values", values)
    if x.size == 0:
        return float("nan")
    return _ratio(x.std(axis=axis), np.abs(x.mean(axis=axis)))


def savings_pct(baseline: ArrayLike, cost: ArrayLike) -> float | np.ndarray:
    """Saving relative to a baseline, percent: ``100 * (baseline - cost) / |baseline|``.

    ``|baseline|`` keeps the sign meaningful when the baseline is a net revenue (negative cost):
    a positive result always means ``cost`` is lower. Element-wise; the two inputs broadcast as
    numpy arrays do (e.g. one baseline against many costs).

    Parameters
    ----------
    baseline : array-like
        Reference cost (e.g. each member's bill without sharing), currency.
    cost : array-like
        Cost in the studied case, currency.

    Returns
    -------
    float or numpy.ndarray
        Percent; ``nan`` where the baseline is zero.

    Examples
    --------
    >>> savings_pct(200.0, 150.0)
    25.0
    >>> savings_pct(-100.0, -150.0)  # earning 150 instead of 100
    50.0
    """
    b = _values("baseline", baseline)
    c = _values("cost", cost)
    try:
        b, c = np.broadcast_arrays(b, c)
    except ValueError as exc:
        raise ValueError(f"baseline has shape {b.shape} but cost has shape {c.shape}; they must "
                         "match or broadcast") from exc
    return _ratio(100.0 * (b - c), np.abs(b))
