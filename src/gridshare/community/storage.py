"""Battery arrangements of a community as vectorised accounts.

``"individual"``
    One battery per home (account ``i`` belongs to home ``i``; a home may have none).
``"central"``
    One community battery on the community bus, dispatched by the community (one account owned
    by the community).
``"shared"``
    One physical battery split into per-home virtual accounts: home ``i`` owns a share
    ``s_i`` of the energy and of the charge and discharge power. Account flows add up to the
    physical flows; since each account's power is at most ``s_i`` times the rating, the sum
    never exceeds the converter rating.
``"none"``
    No storage.

SOC is stored energy in kWh; ``soc[t] = soc[t-1] + eta_c * charge - discharge / eta_d`` with
charge and discharge in kWh on the AC side (as in :mod:`gridshare.model.blocks.battery`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ARRANGEMENTS = ("individual", "central", "shared", "none")
"""Battery arrangements accepted by :class:`Storage`."""

COMMUNITY_OWNER = -1
"""Owner index of a community-owned account."""


@dataclass
class Storage:
    """Battery accounts: parameters per account and their state of charge.

    Attributes
    ----------
    arrangement : str
        One of :data:`ARRANGEMENTS`.
    owner : numpy.ndarray of int
        Home position of each account, or :data:`COMMUNITY_OWNER`.
    energy_kwh, charge_kw, discharge_kw : numpy.ndarray
        Usable capacity (kWh) and power limits (kW) of each account.
    charge_efficiency, discharge_efficiency : numpy.ndarray
        In (0, 1].
    soc_min_kwh, soc_max_kwh : numpy.ndarray
        SOC bounds, kWh.
    soc_kwh : numpy.ndarray
        Current SOC, kWh.
    shares : numpy.ndarray or None
        Share of each account in the shared battery.
    """

    arrangement: str
    owner: np.ndarray
    energy_kwh: np.ndarray
    charge_kw: np.ndarray
    discharge_kw: np.ndarray
    charge_efficiency: np.ndarray
    discharge_efficiency: np.ndarray
    soc_min_kwh: np.ndarray
    soc_max_kwh: np.ndarray
    soc_kwh: np.ndarray
    shares: np.ndarray | None = None

    @property
    def n_accounts(self) -> int:
        """Number of accounts."""
        return len(self.owner)

    @property
    def initial_fraction(self) -> np.ndarray:
        """SOC as a fraction of capacity (0 for empty accounts)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.energy_kwh > 0, self.soc_kwh / np.maximum(self.energy_kwh,
                                                                           1e-300), 0.0)

    @classmethod
    def build(cls, arrangement: str, n_homes: int, energy_kwh: float | np.ndarray = 10.0,
              power_kw: float | np.ndarray = 5.0, efficiency: float | np.ndarray = 0.95,
              soc_initial: float | np.ndarray = 0.5, soc_min: float | np.ndarray = 0.0,
              soc_max: float | np.ndarray = 1.0, shares: np.ndarray | None = None) -> Storage:
        """Accounts for an arrangement.

        Parameters
        ----------
        arrangement : str
            One of :data:`ARRANGEMENTS`.
        n_homes : int
            Number of homes.
        energy_kwh, power_kw : float or numpy.ndarray
            ``"individual"``: per home (scalar = same for all; 0 = no battery).
            ``"central"``/``"shared"``: the one battery (given per home, the sum is used).
        efficiency : float or numpy.ndarray
            Charge and discharge efficiency each, (0, 1]; per home for ``"individual"``.
        soc_initial, soc_min, soc_max : float or numpy.ndarray
            Fractions of capacity; per home for ``"individual"``.
        shares : numpy.ndarray, optional
            ``"shared"``: share per home (sums to 1); default equal shares.

        Examples
        --------
        >>> s = Storage.build("shared", 2, energy_kwh=20.0, power_kw=10.0, shares=[0.25, 0.75])
        >>> s.energy_kwh.tolist(), s.charge_kw.tolist(), s.soc_kwh.tolist()
        ([5.0, 15.0], [2.5, 7.5], [2.5, 7.5])
        """
        if arrangement not in ARRANGEMENTS:
            raise ValueError(f"battery must be one of {ARRANGEMENTS}; got {arrangement!r}")
        eff = np.asarray(efficiency, dtype=float)
        lo, ini, hi = (np.asarray(v, dtype=float) for v in (soc_min, soc_initial, soc_max))
        if not np.all((eff > 0) & (eff <= 1)):
            raise ValueError(f"battery efficiency must be in (0, 1]; got {eff.tolist()}")
        if not np.all((lo >= 0) & (lo <= ini) & (ini <= hi) & (hi <= 1)):
            raise ValueError("battery SOC fractions need 0 <= soc_min <= soc_initial <= soc_max "
                             f"<= 1; got {lo.tolist()}, {ini.tolist()}, {hi.tolist()}")
        if arrangement in ("central", "shared") and max(a.ndim for a in (eff, lo, ini, hi)):
            raise ValueError(f"a {arrangement} battery takes one efficiency and one set of SOC "
                             "fractions, not one per home")
        energy = np.asarray(energy_kwh, dtype=float)
        power = np.asarray(power_kw, dtype=float)
        for name, arr in (("battery_kwh", energy), ("battery_power_kw", power)):
            if not np.all(np.isfinite(arr)) or np.any(arr < 0):
                raise ValueError(f"{name} must be finite and >= 0; got {arr.tolist()}")
        share_arr = None
        if arrangement == "individual":
            energy = np.broadcast_to(energy, (n_homes,)).astype(float)
            power = np.broadcast_to(power, (n_homes,)).astype(float)
            owner = np.arange(n_homes)
        elif arrangement == "none":
            energy = power = np.zeros(0)
            owner = np.zeros(0, dtype=int)
        else:
            total_e = float(energy.sum()) if energy.ndim else float(energy)
            total_p = float(power.sum()) if power.ndim else float(power)
            if arrangement == "central":
                energy, power = np.array([total_e]), np.array([total_p])
                owner = np.array([COMMUNITY_OWNER])
            else:
                share_arr = (np.full(n_homes, 1.0 / n_homes) if shares is None
                             else np.asarray(shares, dtype=float))
                if share_arr.shape != (n_homes,) or np.any(share_arr < 0) \
                        or abs(share_arr.sum() - 1) > 1e-6:
                    raise ValueError(f"shares must be {n_homes} non-negative values summing to "
                                     f"1; got {np.asarray(shares).tolist()}")
                energy, power = total_e * share_arr, total_p * share_arr
                owner = np.arange(n_homes)
        n = len(owner)

        def per_account(values: np.ndarray) -> np.ndarray:
            return np.broadcast_to(values, (n,)).astype(float) if n else np.zeros(0)

        eta = per_account(eff)
        return cls(arrangement=arrangement, owner=np.asarray(owner, dtype=int),
                   energy_kwh=energy, charge_kw=power.copy(), discharge_kw=power.copy(),
                   charge_efficiency=eta, discharge_efficiency=eta.copy(),
                   soc_min_kwh=energy * per_account(lo), soc_max_kwh=energy * per_account(hi),
                   soc_kwh=energy * per_account(ini), shares=share_arr)

    def copy(self) -> Storage:
        """An independent copy (the SOC evolves separately)."""
        return Storage(self.arrangement, self.owner.copy(), self.energy_kwh.copy(),
                       self.charge_kw.copy(), self.discharge_kw.copy(),
                       self.charge_efficiency.copy(), self.discharge_efficiency.copy(),
                       self.soc_min_kwh.copy(), self.soc_max_kwh.copy(), self.soc_kwh.copy(),
                       None if self.shares is None else self.shares.copy())

    def headroom(self, dt: float) -> tuple[np.ndarray, np.ndarray]:
        """Most each account can charge and discharge this step, kWh (AC side)."""
        charge = np.minimum(self.charge_kw * dt,
                            np.maximum(self.soc_max_kwh - self.soc_kwh, 0.0)
                            / self.charge_efficiency)
        discharge = np.minimum(self.discharge_kw * dt,
                               np.maximum(self.soc_kwh - self.soc_min_kwh, 0.0)
                               * self.discharge_efficiency)
        return charge, discharge

    def apply(self, charge_kwh: np.ndarray, discharge_kwh: np.ndarray,
              dt: float) -> tuple[np.ndarray, np.ndarray]:
        """Carry out requested flows, clipped to what is possible; return the flows done, kWh."""
        cap_c, cap_d = self.headroom(dt)
        charge = np.clip(charge_kwh, 0.0, cap_c)
        discharge = np.clip(discharge_kwh, 0.0, cap_d)
        soc = self.soc_kwh + self.charge_efficiency * charge \
            - discharge / self.discharge_efficiency
        # Clipping only removes rounding below 1e-9 kWh: flows were limited to the headroom.
        self.soc_kwh = np.clip(soc, self.soc_min_kwh, self.soc_max_kwh)
        return charge, discharge
