"""Hash-chained ledger: tampering, removal, reordering and truncation are detected."""

import copy
import hashlib
import json

import pytest

from gridshare.community import Ledger, LedgerError, run_simulation
from gridshare.community.ledger import GENESIS_HASH, canonical


def _ledger() -> Ledger:
    led = Ledger()
    led.append(0, [{"seller": "h0", "buyer": "h1", "kwh": 2.0, "price": 0.1}])
    led.append(1, [{"seller": "h1", "buyer": "h0", "kwh": 1.0, "price": 0.1},
                   {"seller": "h2", "buyer": "h0", "kwh": 0.5, "price": 0.1}])
    led.append(3, [{"seller": "h0", "buyer": "h2", "kwh": 0.25, "price": 0.12}])
    return led


def test_hash_is_sha256_of_canonical_json():
    led = _ledger()
    b = led.blocks[0]
    # Independent recomputation with hashlib over the documented canonical body.
    body = json.dumps({"index": 0, "step": 0, "prev_hash": GENESIS_HASH,
                       "trades": [{"seller": "h0", "buyer": "h1", "kwh": 2.0, "price": 0.1,
                                   "amount": 0.2}]},
                      sort_keys=True, separators=(",", ":")).encode()
    assert b.hash == hashlib.sha256(body).hexdigest()
    assert led.blocks[1].prev_hash == b.hash
    assert led.head == led.blocks[-1].hash
    led.verify(expected_head=led.head)


def test_tampered_amount_is_detected_in_its_block():
    led = _ledger()
    led.blocks[1].trades[1]["kwh"] = 5.0
    with pytest.raises(LedgerError, match="block 1") as err:
        led.verify()
    assert err.value.block == 1


def test_tampering_with_rehash_breaks_the_next_link():
    led = _ledger()
    led.blocks[1].trades[0]["amount"] = 0.0
    led.blocks[1].hash = led.blocks[1].compute_hash()  # forger rehashes the block
    with pytest.raises(LedgerError) as err:
        led.verify()
    assert err.value.block == 2


def test_deleted_block_is_detected():
    led = _ledger()
    del led.blocks[1]
    with pytest.raises(LedgerError, match="removed") as err:
        led.verify()
    assert err.value.block == 1


def test_reordered_blocks_are_detected():
    led = _ledger()
    led.blocks[0], led.blocks[1] = led.blocks[1], led.blocks[0]
    with pytest.raises(LedgerError) as err:
        led.verify()
    assert err.value.block == 0


def test_truncated_tail_needs_the_recorded_head():
    led = _ledger()
    head = led.head
    led.blocks.pop()
    led.verify()  # a chain alone cannot see a cut tail
    with pytest.raises(LedgerError, match="end") as err:
        led.verify(expected_head=head)
    assert err.value.block == 2


def test_jsonl_round_trip_and_tamper_on_disk(tmp_path):
    led = _ledger()
    path = led.save(tmp_path / "ledger.jsonl")
    back = Ledger.load(path)
    back.verify(expected_head=led.head)
    assert [b.to_dict() for b in back.blocks] == [b.to_dict() for b in led.blocks]
    lines = path.read_text().splitlines()
    rec = json.loads(lines[2])
    rec["trades"][0]["price"] = 0.5
    lines[2] = canonical(rec).decode()
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(LedgerError) as err:
        Ledger.load(path).verify()
    assert err.value.block == 2
    # Swapping two lines on disk is caught as well.
    lines = (tmp_path / "ledger.jsonl").read_text().splitlines()
    led.save(tmp_path / "b.jsonl")
    swapped = (tmp_path / "b.jsonl").read_text().splitlines()
    swapped[0], swapped[2] = swapped[2], swapped[0]
    (tmp_path / "b.jsonl").write_text("\n".join(swapped) + "\n")
    assert not Ledger.load(tmp_path / "b.jsonl").is_valid()


def test_bad_input_is_reported():
    led = Ledger()
    with pytest.raises(ValueError, match="lacks field"):
        led.append(0, [{"seller": "a", "kwh": 1.0, "price": 0.1}])
    with pytest.raises(ValueError, match="kwh must be >= 0"):
        led.append(0, [{"seller": "a", "buyer": "b", "kwh": -1.0, "price": 0.1}])
    led.append(2, [])
    with pytest.raises(ValueError, match="step must not go back"):
        led.append(1, [])


def test_bad_line_names_the_line(tmp_path):
    p = tmp_path / "x.jsonl"
    p.write_text('{"index": 0}\n')
    with pytest.raises(ValueError, match="line 1"):
        Ledger.load(p)


def test_simulation_ledger_holds_every_trade():
    r = run_simulation(homes=3, steps=24, history_days=0, battery="none")
    led = r.ledger
    led.verify(expected_head=r.summary["ledger_head"])
    frame = led.trades_frame()
    # Same records as the trades table, in the same order.
    assert len(frame) == len(r.trades) > 0
    assert frame["kwh"].sum() == pytest.approx(r.trades["kwh"].sum(), rel=1e-12)
    tampered = copy.deepcopy(led)
    tampered.blocks[len(led) // 2].trades[0]["amount"] *= 1.01
    assert not tampered.is_valid()
