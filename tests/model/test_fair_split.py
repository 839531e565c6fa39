"""collective_fair shares the community's saving equally between members."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridshare.model import ModelInputs, build_model, solve


def test_equal_split_by_hand():
    # one hour: a has 1 kW of PV and no load, b has 1 kW of load; import 0.30, export 0.05.
    # Alone: a exports for -0.05, b imports for 0.30 -> 0.25 in all. Together a supplies b -> 0.
    # The saving of 0.25 is shared equally: a pays -0.05 - 0.125, b pays 0.30 - 0.125.
    mi = ModelInputs.from_arrays([[0.0], [1.0]], pv_kw=[[1.0], [0.0]], import_price=0.30,
                                 export_price=0.05, members=["a", "b"])
    result = solve(build_model(mi, "collective_fair"))
    assert result.costs.loc["a", "total"] == pytest.approx(-0.175, abs=1e-9)
    assert result.costs.loc["b", "total"] == pytest.approx(0.175, abs=1e-9)
    assert result.costs["total"].sum() == pytest.approx(result.objective, abs=1e-9)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 3), st.floats(0, 3)), min_size=3, max_size=3),
       st.floats(0.1, 0.4), st.floats(0.0, 0.09))
def test_every_member_saves_the_same_and_never_loses(rows, import_price, export_price):
    load = [[r[0], r[1]] for r in rows]
    pv = [[r[1], r[0]] for r in rows]
    mi = ModelInputs.from_arrays(load, pv_kw=pv, import_price=import_price,
                                 export_price=export_price)
    alone = solve(build_model(mi, "individual")).costs["total"]
    fair = solve(build_model(mi, "collective_fair"))
    saving = (alone - fair.costs["total"].reindex(alone.index)).to_numpy()
    assert saving.min() >= -1e-7  # nobody pays more than alone
    assert saving.max() - saving.min() <= 1e-7  # and the saving is shared equally
    assert fair.costs["total"].sum() == pytest.approx(fair.objective, abs=1e-7)
