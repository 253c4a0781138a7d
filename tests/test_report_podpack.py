"""The pod-packing scenario table (Christensen et al. 2025, §5) of `report`."""

import pytest

from schedcert.errors import InputError
from schedcert.reports.podpack import report, scenario_rows


def _rec(inst, method, tiers, objective, status="feasible", info=None):
    return {"instance": inst, "method": method, "status": status, "objective": objective, "runtime": 1.5,
            "solution": {"tiers": tiers}, "info": info or {}}


def test_scenarios_and_stopped_default_runs(tmp_path):
    records = [
        # a: default leaves a tier-5 pod pending, cpsat places it and proves it
        _rec("a", "default", {"5": "2/3", "1": "4/4"}, 10), _rec("a", "cpsat", {"5": "3/3", "1": "3/4"}, 12, "optimal"),
        # b: default places everything: no scenario
        _rec("b", "default", {"5": "3/3"}, 3), _rec("b", "cpsat", {"5": "3/3"}, 3, "optimal"),
        # c: the simulation stopped at its time limit: left out, named below the table
        _rec("c", "default", {"5": "1/3"}, 1, info={"stopped_at_time_limit": True}),
        _rec("c", "cpsat", {"5": "3/3"}, 3, "optimal"),
    ]
    rows = scenario_rows(records)
    assert [(r["instance"], r["top_tier"], r["default_placed"], r["cpsat_placed"]) for r in rows] == [("a", 5, 2, 3)]
    assert rows[0]["improved_tier"] and rows[0]["improved_lex"] and rows[0]["proven"]
    assert not rows[0]["default_certified"]
    md = report(records, tmp_path)
    assert "| all | 1 | 100.0 % | 100.0 % | 0.0 % | 100.0 % | 100.0 % | 1.50 / 1.50 s |" in md
    assert "Left out: 1 instance(s) whose default simulation stopped at the time limit" in md and ": c" in md
    assert (tmp_path / "scenarios.csv").read_text().count("\n") == 2


@pytest.mark.parametrize("tiers, message", [
    ({"5": "2"}, "solution tiers are {'5': '2'}; expected {priority: \"placed/total\"}"),
    ({"x": "2/3"}, "solution tiers are {'x': '2/3'}"),
    ("2/3", "solution tiers are '2/3'"),
    (None, "solution tiers are None"),
    ({"5": "2/3", "1": "1/1"}, "the default and cpsat runs list other priority tiers ([1, 5] and [5])"),
])
def test_tiers_edited_by_hand_are_an_input_error(tiers, message):
    """A run record whose tiers were edited into another shape was a
    KeyError, ValueError or AttributeError traceback in report."""
    records = [_rec("a", "default", {"5": "2/3"}, 10), _rec("a", "cpsat", {"5": "3/3"}, 12)]
    records[0]["solution"]["tiers"] = tiers
    with pytest.raises(InputError, match="^runs.jsonl: ") as err:
        scenario_rows(records)
    assert message in str(err.value)


def test_an_instance_without_pods_has_no_tiers():
    assert scenario_rows([_rec("a", "default", {}, 0), _rec("a", "cpsat", {}, 0, "optimal")]) == []
