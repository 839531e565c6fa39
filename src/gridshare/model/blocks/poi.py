"""The community's point of interconnection: net limits, apparent power and power factor.

``P`` is the sum of all members' import minus export. ``Q`` is the reactive power drawn through
the POI: the members' grid reactive flows minus what community inverters supply. The kVA circle
is replaced by an inscribed regular polygon (never exceeded). The minimum power factor
``|Q| <= tan(acos(pf)) * |P|`` uses ``|P| = poi_import + poi_export`` with a direction binary so
that the two never flow together, which makes ``|P|`` exact.
"""

from __future__ import annotations

import numpy as np

from gridshare.model.blocks.base import Block, BuildContext, polygon
from gridshare.model.inputs import ModelInputs


def poi_net_power(ctx: BuildContext):
    m = ctx.model
    if ctx.aggregate:
        return (m.variables["community_import"].sum("tariff_group")
                - m.variables["community_export"].sum("tariff_group"))
    return m.variables["grid_import"].sum("member") - m.variables["grid_export"].sum("member")


class PoiBlock(Block):
    name = "poi"

    def applies(self, inputs: ModelInputs, mode: str) -> bool:
        return inputs.poi is not None

    def add_variables(self, ctx: BuildContext) -> None:
        poi = ctx.inputs.poi
        if np.isfinite(poi.min_power_factor):
            t = [ctx.time]
            ctx.model.add_variables(lower=0.0, coords=t, name="poi_import")
            ctx.model.add_variables(lower=0.0, coords=t, name="poi_export")
            ctx.binary(t, "poi_direction")

    def finalize(self, ctx: BuildContext) -> None:
        poi, m = ctx.inputs.poi, ctx.model
        p = poi_net_power(ctx)
        if np.isfinite(poi.import_limit_kw):
            ctx.add_constraints(p, "<=", poi.import_limit_kw, "poi_import_limit", block=self.name,
                                meaning="net import at the POI within its limit")
        if np.isfinite(poi.export_limit_kw):
            ctx.add_constraints(-p, "<=", poi.export_limit_kw, "poi_export_limit",
                                block=self.name, meaning="net export at the POI within its limit")
        if not (np.isfinite(poi.kva) or np.isfinite(poi.min_power_factor)):
            return
        q = m.variables["grid_q"].sum("member")
        for term in ctx.bus_q:
            q = q - term
        if np.isfinite(poi.kva):
            cos, sin, apothem = polygon(int(poi.polygon_sides))
            ctx.add_constraints(cos * p + sin * q, "<=", apothem * poi.kva, "poi_kva",
                                block=self.name,
                                meaning="apparent power at the POI within its kVA rating")
        if np.isfinite(poi.min_power_factor):
            pin, pout, z = (m.variables[n] for n in ("poi_import", "poi_export", "poi_direction"))
            big = poi.kva if np.isfinite(poi.kva) else ctx.big_m_kw
            ctx.add_constraints(pin - pout - p, "==", 0, "poi_net", block=self.name,
                                meaning="POI import and export make up the net power")
            ctx.add_constraints(pin - big * z, "<=", 0, "poi_direction_import", block=self.name,
                                meaning="import only while the POI direction binary says import")
            ctx.add_constraints(pout + big * z, "<=", big, "poi_direction_export",
                                block=self.name,
                                meaning="export only while the POI direction binary says export")
            ratio = float(np.tan(np.arccos(poi.min_power_factor)))
            ctx.add_constraints(q - ratio * (pin + pout), "<=", 0, "poi_power_factor_lagging",
                                block=self.name, meaning="POI reactive import within the minimum "
                                "power factor")
            ctx.add_constraints(-q - ratio * (pin + pout), "<=", 0, "poi_power_factor_leading",
                                block=self.name, meaning="POI reactive export within the minimum "
                                "power factor")


