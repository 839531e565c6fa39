"""Exports: every table in every format reads back with the same values."""

from __future__ import annotations

import json

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridshare.report import exports
from gridshare.report.exports import export_tables, sheet_names, to_records

TIME = pd.date_range("2026-06-01 16:00", periods=4, freq="h", tz="Europe/Berlin")


def sample() -> dict[str, pd.DataFrame]:
    prices = pd.DataFrame({"scenario_id": ["a"] * 4, "step": np.arange(4), "time": TIME,
                           "import_price": [0.1, 0.2, 0.4, np.nan]})
    results = pd.DataFrame({"community_cost": [101.25, 99.5], "p2p": [True, False],
                            "status": ["ok", "failed"]},
                           index=pd.Index(["a", "b"], name="scenario_id"))
    return {"prices": prices, "results": results, "a/b: weird [name] that is far too long for Excel": results}


def test_round_trip_every_format(tmp_path):
    tables = sample()
    written = export_tables(tables, tmp_path)
    assert set(written) == {"json", "csv", "parquet", "xlsx"}
    assert [p.name for p in written["csv"]] == ["prices.csv", "results.csv",
                                                "a_b_weird_name_that_is_far_too_long_for_Excel.csv"]
    prices = tables["prices"]
    # Parquet keeps every dtype, the zone included.
    pd.testing.assert_frame_equal(pd.read_parquet(written["parquet"][0]), prices)
    # The named index becomes the first column everywhere.
    back = pd.read_parquet(written["parquet"][1])
    pd.testing.assert_frame_equal(back, tables["results"].reset_index())
    # CSV: ISO times with offsets; reading them back as UTC and converting gives the same instants.
    csv = pd.read_csv(written["csv"][0])
    assert csv["time"].tolist()[:2] == ["2026-06-01T16:00:00+02:00", "2026-06-01T17:00:00+02:00"]
    pd.testing.assert_series_equal(pd.to_datetime(csv["time"], utc=True).dt.tz_convert("Europe/Berlin"),
                                   prices["time"], check_names=False, check_dtype=False)
    np.testing.assert_array_equal(csv["import_price"], prices["import_price"])
    # JSON: records, NaN as null.
    records = json.loads(written["json"][0].read_text())
    assert records[3] == {"scenario_id": "a", "step": 3, "time": "2026-06-01T19:00:00+02:00",
                          "import_price": None}
    assert json.loads(written["json"][1].read_text())[0] == {"scenario_id": "a", "community_cost": 101.25,
                                                             "p2p": True, "status": "ok"}


def test_xlsx_sheets_and_values(tmp_path):
    tables = sample()
    (path,) = export_tables(tables, tmp_path, ["xlsx"])["xlsx"]
    book = openpyxl.load_workbook(path)
    # Forbidden characters replaced, cut to 31 characters.
    assert book.sheetnames == ["prices", "results", "a_b_ weird _name_ that is far t"]
    sheet = book["prices"]
    rows = list(sheet.iter_rows(values_only=True))
    # Excel has no zones: wall-clock local time, the zone named in the header.
    assert rows[0] == ("scenario_id", "step", "time (Europe/Berlin)", "import_price")
    assert rows[1][2].isoformat() == "2026-06-01T16:00:00"
    assert [r[3] for r in rows[1:]] == [0.1, 0.2, 0.4, None]
    results = list(book["results"].iter_rows(values_only=True))
    assert results == [("scenario_id", "community_cost", "p2p", "status"), ("a", 101.25, True, "ok"),
                       ("b", 99.5, False, "failed")]


def test_sheet_names_unique_and_safe():
    names = sheet_names(["x" * 40, "x" * 40, "X" * 35, "a?b", "history", "", "[]"])
    assert names == ["x" * 31, "x" * 27 + " (2)", "X" * 27 + " (3)", "a_b", "history_", "Sheet", "__"]
    assert all(len(n) <= 31 for n in names)
    assert len({n.lower() for n in names}) == len(names)


def test_long_table_continues_on_more_sheets(tmp_path, monkeypatch):
    # With a 4-row sheet limit a 10-row table needs sheets of 4, 4 and 2 rows (ceil(10 / 4) = 3).
    monkeypatch.setattr(exports, "EXCEL_MAX_ROWS", 4)
    (path,) = export_tables({"big": pd.DataFrame({"v": np.arange(10)})}, tmp_path, ["xlsx"])["xlsx"]
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["big", "big (2)", "big (3)"]
    values = [row[0] for name in book.sheetnames for row in book[name].iter_rows(min_row=2, values_only=True)]
    assert values == list(range(10))


def test_to_records_and_bad_input(tmp_path):
    assert to_records(pd.DataFrame({"t": pd.to_datetime(["2026-01-01 00:15"]), "x": [np.int64(3)]})) == \
        [{"t": "2026-01-01T00:15:00", "x": 3}]
    with pytest.raises(ValueError, match=r"formats=\['pdf'\]"):
        export_tables(sample(), tmp_path, ["pdf"])
    with pytest.raises(ValueError, match="non-empty mapping"):
        export_tables({}, tmp_path)
    with pytest.raises(ValueError, match="table 'x' must be a pandas DataFrame"):
        export_tables({"x": [1, 2]}, tmp_path)
    with pytest.raises(ValueError, match="duplicate column names"):
        export_tables({"x": pd.DataFrame([[1, 2]], columns=["a", "a"])}, tmp_path)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(st.floats(allow_nan=False, allow_infinity=False, width=64),
                          st.integers(min_value=-(2**53), max_value=2**53),
                          st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
                                  min_size=1, max_size=8)),
                min_size=1, max_size=6))
def test_round_trip_is_exact_for_any_values(tmp_path_factory, rows):
    # Invariant: floats, integers and text come back bit for bit from JSON, CSV and Parquet.
    table = pd.DataFrame(rows, columns=["x", "n", "label"])
    folder = tmp_path_factory.mktemp("exact")
    written = export_tables({"t": table}, folder, ["json", "csv", "parquet"])
    from_json = pd.DataFrame(json.loads(written["json"][0].read_text()))
    # pandas' default CSV float parser is not exact; its round-trip parser reads back what was written.
    from_csv = pd.read_csv(written["csv"][0], dtype={"label": str}, keep_default_na=False,
                           float_precision="round_trip")
    for back in (from_json, from_csv, pd.read_parquet(written["parquet"][0])):
        np.testing.assert_array_equal(back["x"].astype(float), table["x"])
        assert back["n"].astype("int64").tolist() == table["n"].tolist()
        assert back["label"].tolist() == table["label"].tolist()
