"""An append-only, hash-chained ledger of the community's P2P trades.

Each block holds the trades of one market step, the hash of the previous block and its own
SHA-256 over a canonical serialisation (JSON with sorted keys, no spaces, floats in their
shortest round-trip form). Changing, removing or reordering any record breaks the chain at a
block that :meth:`Ledger.verify` names. There is no proof-of-work: the community trusts its
operator to append, and the chain lets anyone check afterwards that nothing was rewritten.

A chain alone cannot tell that its *last* blocks were cut off; pass the head hash recorded
elsewhere (``SimulationResult.summary["ledger_head"]``) as ``expected_head`` to detect that too.

Examples
--------
>>> ledger = Ledger()
>>> _ = ledger.append(0, [{"seller": "h0", "buyer": "h1", "kwh": 1.5, "price": 0.1}])
>>> ledger.verify()
>>> ledger.blocks[0].trades[0]["kwh"] = 9.0
>>> try:
...     ledger.verify()
... except LedgerError as err:
...     print(err.block)
0
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GENESIS_HASH = "0" * 64
"""``prev_hash`` of the first block."""

TRADE_FIELDS = ("seller", "buyer", "kwh", "price", "amount")
"""Fields of a trade record: names, energy in kWh, price in currency/kWh, amount in currency."""


class LedgerError(ValueError):
    """The ledger is not intact; ``block`` is the position of the first bad block."""

    def __init__(self, message: str, block: int):
        super().__init__(message)
        self.block = block


def canonical(payload: Mapping[str, Any]) -> bytes:
    """The canonical byte serialisation that block hashes are taken over.

    Examples
    --------
    >>> canonical({"b": 1.0, "a": [2, "x"]})
    b'{"a":[2,"x"],"b":1.0}'
    """
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=False,
                      ensure_ascii=True).encode("ascii")


def block_hash(index: int, step: int, prev_hash: str, trades: list[dict[str, Any]]) -> str:
    """SHA-256 (hex) of a block's content.

    Examples
    --------
    >>> len(block_hash(0, 0, GENESIS_HASH, []))
    64
    """
    body = {"index": int(index), "step": int(step), "prev_hash": prev_hash, "trades": trades}
    return hashlib.sha256(canonical(body)).hexdigest()


def _clean_trade(trade: Mapping[str, Any]) -> dict[str, Any]:
    missing = [k for k in ("seller", "buyer", "kwh", "price") if k not in trade]
    if missing:
        raise ValueError(f"trade {dict(trade)} lacks field(s) {missing}; a trade needs "
                         f"{list(TRADE_FIELDS[:4])}")
    kwh, price = float(trade["kwh"]), float(trade["price"])
    if not kwh >= 0:
        raise ValueError(f"trade kwh must be >= 0 kWh; got {trade['kwh']!r}")
    out = {"seller": str(trade["seller"]), "buyer": str(trade["buyer"]), "kwh": kwh,
           "price": price, "amount": float(trade.get("amount", kwh * price))}
    return out


@dataclass
class Block:
    """One block: the trades of one step, chained to the previous block by its hash.

    Attributes
    ----------
    index : int
        Position in the chain, from 0.
    step : int
        Simulation step whose trades the block holds.
    prev_hash : str
        Hash of the previous block (:data:`GENESIS_HASH` for the first).
    trades : list of dict
        Records with :data:`TRADE_FIELDS`.
    hash : str
        SHA-256 over the canonical serialisation of the fields above.
    """

    index: int
    step: int
    prev_hash: str
    trades: list[dict[str, Any]] = field(default_factory=list)
    hash: str = ""

    def compute_hash(self) -> str:
        """The hash the block's current content gives."""
        return block_hash(self.index, self.step, self.prev_hash, self.trades)

    def to_dict(self) -> dict[str, Any]:
        """The block as plain data (one JSON Lines record)."""
        return {"index": self.index, "step": self.step, "prev_hash": self.prev_hash,
                "trades": self.trades, "hash": self.hash}


class Ledger:
    """Append-only chain of trade blocks.

    Examples
    --------
    >>> led = Ledger()
    >>> b = led.append(3, [{"seller": "a", "buyer": "b", "kwh": 2.0, "price": 0.1}])
    >>> b.index, b.trades[0]["amount"], led.head == b.hash
    (0, 0.2, True)
    """

    def __init__(self) -> None:
        self.blocks: list[Block] = []

    def __len__(self) -> int:
        return len(self.blocks)

    @property
    def head(self) -> str:
        """Hash of the last block (:data:`GENESIS_HASH` when empty)."""
        return self.blocks[-1].hash if self.blocks else GENESIS_HASH

    @property
    def n_trades(self) -> int:
        """Number of trade records in all blocks."""
        return sum(len(b.trades) for b in self.blocks)

    def append(self, step: int, trades: Iterable[Mapping[str, Any]]) -> Block:
        """Add a block holding ``trades`` of simulation step ``step``; return it.

        Parameters
        ----------
        step : int
            Simulation step, >= the step of the last block.
        trades : iterable of mapping
            Records with ``seller``, ``buyer``, ``kwh`` (kWh), ``price`` (currency/kWh) and
            optionally ``amount`` (currency; default ``kwh * price``).
        """
        step = int(step)
        if self.blocks and step < self.blocks[-1].step:
            raise ValueError(f"step must not go back: last block holds step "
                             f"{self.blocks[-1].step}, got {step}")
        block = Block(index=len(self.blocks), step=step, prev_hash=self.head,
                      trades=[_clean_trade(t) for t in trades])
        block.hash = block.compute_hash()
        self.blocks.append(block)
        return block

    def verify(self, expected_head: str | None = None) -> None:
        """Check the whole chain; raise :class:`LedgerError` naming the first bad block.

        Parameters
        ----------
        expected_head : str, optional
            Head hash recorded elsewhere; detects blocks cut off the end of the chain.

        Raises
        ------
        LedgerError
            A block whose content no longer gives its hash (altered), whose position or link to
            the previous block is wrong (removed or reordered), or a head that differs.
        """
        prev = GENESIS_HASH
        last_step = None
        for pos, block in enumerate(self.blocks):
            if block.index != pos:
                raise LedgerError(f"block {pos}: holds index {block.index}, expected {pos} "
                                  "(a block was removed or blocks were reordered)", pos)
            if block.prev_hash != prev:
                raise LedgerError(f"block {pos}: prev_hash does not match the hash of block "
                                  f"{pos - 1} (the chain was broken before this block)", pos)
            if block.compute_hash() != block.hash:
                raise LedgerError(f"block {pos}: content does not match its hash (a record in "
                                  "this block was altered)", pos)
            if last_step is not None and block.step < last_step:
                raise LedgerError(f"block {pos}: step {block.step} comes after step "
                                  f"{last_step}", pos)
            prev, last_step = block.hash, block.step
        if expected_head is not None and prev != expected_head:
            raise LedgerError(f"the chain ends at hash {prev[:12]}... but the recorded head is "
                              f"{expected_head[:12]}... (blocks were removed from the end)",
                              len(self.blocks))

    def is_valid(self, expected_head: str | None = None) -> bool:
        """Whether :meth:`verify` passes."""
        try:
            self.verify(expected_head)
        except LedgerError:
            return False
        return True

    def trades_frame(self):
        """All trades as a :class:`pandas.DataFrame` with ``block`` and ``step`` columns."""
        import pandas as pd

        rows = [{"block": b.index, "step": b.step, **t} for b in self.blocks for t in b.trades]
        return pd.DataFrame(rows, columns=["block", "step", *TRADE_FIELDS])

    def save(self, path: str | Path) -> Path:
        """Write the chain to JSON Lines, one block per line; return the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="ascii") as fh:
            for block in self.blocks:
                fh.write(canonical(block.to_dict()).decode("ascii") + "\n")
        return path

    @classmethod
    def load(cls, path: str | Path) -> Ledger:
        """Read a chain written by :meth:`save` (unchecked: call :meth:`verify`).

        Raises
        ------
        ValueError
            A line that is not a JSON block record; the message names the line.
        """
        ledger = cls()
        with Path(path).open(encoding="ascii") as fh:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                    block = Block(index=int(rec["index"]), step=int(rec["step"]),
                                  prev_hash=str(rec["prev_hash"]), trades=list(rec["trades"]),
                                  hash=str(rec["hash"]))
                except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                    raise ValueError(f"{path}: line {number} is not a ledger block "
                                     f"({exc})") from exc
                ledger.blocks.append(block)
        return ledger
