"""ISO market adapters: market intervals, ancillary products and their rules, price defaults.

Examples
--------
>>> from gridshare.microgrid.iso import get_iso_adapter, ASProduct
>>> ercot = get_iso_adapter("ERCOT")
>>> ercot.get_reserve_requirement(ASProduct.RRS, capacity_mw=25, soc_mwh=50)
25.0
"""

from gridshare.microgrid.iso.base import (
    ASProduct,
    ISOAdapter,
    ISOError,
    MarketInterval,
    ProductRule,
)
from gridshare.microgrid.iso.caiso import CAISOAdapter
from gridshare.microgrid.iso.ercot import ERCOTAdapter
from gridshare.microgrid.iso.generic import (
    GenericAdapter,
    available_isos,
    get_iso_adapter,
    register_iso,
)
from gridshare.microgrid.iso.pjm import PJMAdapter

register_iso("ERCOT", ERCOTAdapter)
register_iso("CAISO", CAISOAdapter)
register_iso("PJM", PJMAdapter)
register_iso("GENERIC", GenericAdapter)

__all__ = [
    "ASProduct", "CAISOAdapter", "ERCOTAdapter", "GenericAdapter", "ISOAdapter", "ISOError",
    "MarketInterval", "PJMAdapter", "ProductRule", "available_isos", "get_iso_adapter",
    "register_iso",
]
