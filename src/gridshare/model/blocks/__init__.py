"""Blocks of the community model: one module per asset or rule.

:data:`DEFAULT_BLOCKS` is the tuple the builder uses; a new asset or rule is one new
:class:`~gridshare.model.blocks.base.Block` subclass added to it.
"""

from gridshare.model.blocks.base import Block, BuildContext
from gridshare.model.blocks.battery import BatteryBlock, SharedBatteryBlock
from gridshare.model.blocks.curtailment import CurtailmentBlock, SheddingBlock
from gridshare.model.blocks.exchange import BilateralBlock, PoolBlock
from gridshare.model.blocks.flexible import FlexibleLoadBlock
from gridshare.model.blocks.generator import GeneratorBlock
from gridshare.model.blocks.grid import GridBlock
from gridshare.model.blocks.poi import PoiBlock
from gridshare.model.blocks.reserves import ReserveBlock

DEFAULT_BLOCKS: tuple[Block, ...] = (
    GridBlock(), BatteryBlock(), SharedBatteryBlock(), GeneratorBlock(), FlexibleLoadBlock(),
    CurtailmentBlock(), SheddingBlock(), ReserveBlock(), PoolBlock(), BilateralBlock(),
    PoiBlock(),
)

__all__ = [
    "DEFAULT_BLOCKS", "BatteryBlock", "BilateralBlock", "Block", "BuildContext",
    "CurtailmentBlock", "FlexibleLoadBlock", "GeneratorBlock", "GridBlock", "PoiBlock",
    "PoolBlock", "ReserveBlock", "SharedBatteryBlock", "SheddingBlock",
]
