r"""Money of pooled procurement: certificates (RECs) and, optionally, hourly energy.

Certificates, per participant, energies in MWh over the horizon and prices in currency/MWh:
with :math:`S` the clean energy generated for it, :math:`U` and :math:`D` its standalone surplus
and shortfall, :math:`E` and :math:`I` the certificates it exports to and imports from the pool,
:math:`r` the REC price, :math:`s` the swap price (default :math:`r`), :math:`q` the shortfall
price (cost of covering unmatched load with certificates, default :math:`r`) and :math:`f` the
pool manager's fee (share of the swap value):

- ``rec_value`` :math:`= S r` — all certificates generated;
- ``surplus_value`` :math:`= U r`, ``shortfall_cost`` :math:`= D q`; standalone, the
  participant sells its surplus and covers its shortfall: ``standalone_net`` :math:`= U r - D q`;
- ``swap_revenue`` :math:`= E s`, ``swap_cost`` :math:`= I s`; the fee :math:`f I s` is paid by
  the importers (who gain the hourly match), so the manager earns :math:`f` times the pool's
  swap value :math:`s \sum I`;
- what is left after the swaps is settled outside: ``residual_surplus_value`` :math:`= (U - E)
  r`, ``residual_shortfall_cost`` :math:`= (D - I) q`;
- ``net_settlement`` :math:`= E s - I s (1 + f) + (U - E) r - (D - I) q`, and
  ``net_savings`` :math:`=` ``net_settlement - standalone_net`` :math:`= E (s - r) + I (q - s (1
  + f))`. With every price equal, savings are the fee (the price of the better hourly match).

Hourly energy (:func:`energy_settlement`), for a market price :math:`\pi_h` and a PPA strike
:math:`k`: each participant's PPA energy :math:`G_{ph}` is settled as a contract for difference,
``ppa_settlement`` :math:`= \sum_h G_{ph} (\pi_h - k)`; its ``capture_price`` is :math:`\sum_h
G_{ph}\pi_h / \sum_h G_{ph}` and its load's ``load_weighted_price`` :math:`\sum_h L_{ph}\pi_h /
\sum_h L_{ph}`; ``shape_cost`` :math:`= \sum_h G_{ph}` × (load-weighted − capture price) is what
the PPA's generation shape costs against a baseload-like hedge of the same volume (positive: the
plant produces when energy is cheap). One price series serves every participant, so this shows
shape risk, not nodal basis risk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gridshare.procurement._checks import ProcurementError, energy_array, fraction, price
from gridshare.procurement.matching import ratio


@dataclass(frozen=True)
class CertificatePrices:
    """Prices of the certificate settlement, currency/MWh, and the manager's fee.

    Examples
    --------
    >>> p = CertificatePrices(rec_price_per_mwh=8.0)
    >>> p.swap, p.shortfall, p.manager_fee
    (8.0, 8.0, 0.2)
    """

    rec_price_per_mwh: float = 8.0
    swap_price_per_mwh: float | None = None
    shortfall_price_per_mwh: float | None = None
    manager_fee: float = 0.2

    def __post_init__(self) -> None:
        price("rec_price_per_mwh", self.rec_price_per_mwh)
        for name in ("swap_price_per_mwh", "shortfall_price_per_mwh"):
            if getattr(self, name) is not None:
                price(name, getattr(self, name))
        fraction("manager_fee", self.manager_fee)

    @property
    def rec(self) -> float:
        """REC price, currency/MWh."""
        return float(self.rec_price_per_mwh)

    @property
    def swap(self) -> float:
        """Swap price, currency/MWh (the REC price unless given)."""
        return self.rec if self.swap_price_per_mwh is None else float(self.swap_price_per_mwh)

    @property
    def shortfall(self) -> float:
        """Shortfall price, currency/MWh (the REC price unless given)."""
        if self.shortfall_price_per_mwh is None:
            return self.rec
        return float(self.shortfall_price_per_mwh)


def certificate_settlement(
    clean: np.ndarray,
    surplus: np.ndarray,
    shortfall: np.ndarray,
    exported: np.ndarray,
    imported: np.ndarray,
    prices: CertificatePrices,
) -> dict[str, np.ndarray]:
    """Certificate money per participant (formulas in the module docstring).

    Parameters
    ----------
    clean, surplus, shortfall, exported, imported : array_like
        Totals per participant over the horizon, MWh, shape (participant,).
    prices : CertificatePrices

    Returns
    -------
    dict of numpy.ndarray
        ``rec_value``, ``surplus_value``, ``shortfall_cost``, ``standalone_net``,
        ``swap_revenue``, ``swap_cost``, ``manager_fee``, ``residual_surplus_value``,
        ``residual_shortfall_cost``, ``net_settlement``, ``net_savings``; currency, one value
        per participant.

    Examples
    --------
    An exporter of 10 MWh and an importer of 10 MWh (shortfall 30 MWh) at 8/MWh, fee 20 %:

    >>> s = certificate_settlement([20, 0], [10, 0], [0, 30], [10, 0], [0, 10],
    ...                            CertificatePrices(8.0))
    >>> s["manager_fee"].tolist(), s["net_settlement"].tolist(), s["net_savings"].tolist()
    ([0.0, 16.0], [80.0, -256.0], [0.0, -16.0])
    """
    arrays = {
        name: energy_array(name, values, ndim=1)
        for name, values in (
            ("clean", clean),
            ("surplus", surplus),
            ("shortfall", shortfall),
            ("exported", exported),
            ("imported", imported),
        )
    }
    if len({a.shape for a in arrays.values()}) > 1:
        raise ProcurementError(
            "clean, surplus, shortfall, exported and imported need one total "
            "per participant each; their lengths differ"
        )
    c, u, d, e, i = (arrays[k] for k in ("clean", "surplus", "shortfall", "exported", "imported"))
    r, s, q, f = prices.rec, prices.swap, prices.shortfall, prices.manager_fee
    out = {
        "rec_value": c * r,
        "surplus_value": u * r,
        "shortfall_cost": d * q,
        "swap_revenue": e * s,
        "swap_cost": i * s,
        "manager_fee": f * i * s,
        # solver round-off may leave a residual of -1e-12; it is no energy
        "residual_surplus_value": np.maximum(u - e, 0.0) * r,
        "residual_shortfall_cost": np.maximum(d - i, 0.0) * q,
    }
    out["standalone_net"] = out["surplus_value"] - out["shortfall_cost"]
    out["net_settlement"] = (
        out["swap_revenue"]
        - out["swap_cost"]
        - out["manager_fee"]
        + out["residual_surplus_value"]
        - out["residual_shortfall_cost"]
    )
    out["net_savings"] = out["net_settlement"] - out["standalone_net"]
    return out


def energy_settlement(
    load: np.ndarray,
    ppa_energy: np.ndarray,
    price_per_mwh: np.ndarray,
    ppa_price_per_mwh: float | None = None,
) -> dict[str, np.ndarray]:
    """Hourly energy settlement of each participant's PPA energy at a market price series.

    Parameters
    ----------
    load : array_like
        Load per participant and hour, MWh, shape (participant, hour).
    ppa_energy : array_like
        Each participant's share of the PPA plants' output, MWh, same shape.
    price_per_mwh : array_like
        Market price per hour, currency/MWh, shape (hour,); may be negative.
    ppa_price_per_mwh : float, optional
        PPA strike price, currency/MWh; without it the CfD columns are ``nan``.

    Returns
    -------
    dict of numpy.ndarray
        Per participant: ``load_cost`` (load at the market price), ``ppa_market_value``,
        ``ppa_cost`` (energy at the strike), ``ppa_settlement`` (market value − cost),
        ``net_energy_cost`` (load cost − PPA settlement), ``capture_price_per_mwh``,
        ``load_weighted_price_per_mwh``, ``shape_cost``.

    Examples
    --------
    A plant that produces only in the cheap hour: captures 10/MWh against a load price of 30.

    >>> e = energy_settlement([[1.0, 1.0]], [[2.0, 0.0]], [10.0, 50.0], ppa_price_per_mwh=20.0)
    >>> float(e["capture_price_per_mwh"][0]), float(e["shape_cost"][0])
    (10.0, 40.0)
    >>> float(e["ppa_settlement"][0]), float(e["net_energy_cost"][0])
    (-20.0, 80.0)
    """
    load = energy_array("load", load)
    ppa_energy = energy_array("ppa_energy", ppa_energy)
    if load.shape != ppa_energy.shape:
        raise ProcurementError(f"load has shape {load.shape} but ppa_energy has shape {ppa_energy.shape}")
    prices = np.asarray(price_per_mwh, dtype=float)
    if prices.shape != (load.shape[1],):
        raise ProcurementError(
            f"price_per_mwh needs one price per hour ({load.shape[1]}); got shape {prices.shape}"
        )
    if not np.isfinite(prices).all():
        raise ProcurementError("price_per_mwh holds NaN or infinite prices; fill them")
    strike = np.nan if ppa_price_per_mwh is None else price("ppa_price_per_mwh", ppa_price_per_mwh)
    energy = ppa_energy.sum(axis=1)
    out = {
        "load_cost": load @ prices,
        "ppa_market_value": ppa_energy @ prices,
        "ppa_cost": energy * strike,
    }
    out["ppa_settlement"] = out["ppa_market_value"] - out["ppa_cost"]
    out["net_energy_cost"] = out["load_cost"] - out["ppa_settlement"]
    out["capture_price_per_mwh"] = ratio(out["ppa_market_value"], energy)
    out["load_weighted_price_per_mwh"] = ratio(out["load_cost"], load.sum(axis=1))
    out["shape_cost"] = energy * (out["load_weighted_price_per_mwh"] - out["capture_price_per_mwh"])
    return out
