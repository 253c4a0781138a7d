"""Core contracts: gap definition, Result JSON, registry errors, reference files."""

import json
from pathlib import Path

import pytest

from schedcert.errors import InputError
from schedcert.reference import Reference, read_reference, reference_for
from schedcert.registry import get_method, get_problem
from schedcert.result import Options, Result, Status, gap


def test_gap_definition():
    assert gap(43, 43) == 0
    assert gap(50, 40) == pytest.approx(10 / 50)
    assert gap(0, -0.5) == pytest.approx(0.5)  # denominator max(|obj|, 1)
    assert gap(90, 100) == pytest.approx(10 / 90)  # maximisation: bound above
    assert gap(None, 3) is None and gap(3, None) is None


def test_deviation_bound_is_relative_to_the_optimum_and_proven():
    from schedcert.certify import deviation_bound

    assert deviation_bound(86, 73) == pytest.approx(13 / 73)  # CPOP on Topcuoglu: 17.8 %, while the gap is 15.1 %
    assert gap(86, 73) == pytest.approx(13 / 86)
    # minimisation: bound 66 <= OPT; for any OPT in [66, 83] the true deviation is at most the bound's
    assert all(83 / opt - 1 <= deviation_bound(83, 66) + 1e-12 for opt in range(66, 84))
    # maximisation: bound 518 >= OPT; 1 - 515 / OPT grows with OPT, so 518 gives the most
    assert deviation_bound(515, 518, "max") == pytest.approx(3 / 518)
    assert all(1 - 515 / opt <= deviation_bound(515, 518, "max") + 1e-12 for opt in range(515, 519))
    assert deviation_bound(5, 0) is None and deviation_bound(0, 0) == 0.0  # tardiness bound 0: no ratio
    assert deviation_bound(None, 3) is None and deviation_bound(4, None) is None


def test_deviation_floor_from_the_best_schedule_found():
    """sgs-lft 99 on j12060_3, CP-SAT 92 in 5 s, bound 83: the heuristic is
    19.28 % above the optimum at most and, as a schedule of 92 exists, at
    least 7.61 % above it."""
    from schedcert.certify import deviation_bound, deviation_floor

    assert deviation_floor(99, 92) == pytest.approx(7 / 92)
    assert all(deviation_floor(99, 92) - 1e-12 <= 99 / opt - 1 <= deviation_bound(99, 83) + 1e-12
               for opt in range(83, 93))  # every optimum the two runs leave possible
    assert deviation_floor(99, 99) == 0.0 and deviation_floor(99, 120) == 0.0  # nothing better found
    assert deviation_floor(86, 73) == deviation_bound(86, 73)  # the best schedule is the proven optimum
    assert deviation_floor(515, 518, "max") == pytest.approx(3 / 518) and deviation_floor(518, 515, "max") == 0.0
    assert all(1 - 510 / opt >= deviation_floor(510, 515, "max") - 1e-12 for opt in range(515, 519))
    assert deviation_floor(5, 0) is None and deviation_floor(None, 3) is None and deviation_floor(4, None) is None


def test_result_json_schema():
    r = Result("rcpsp", "x", "m", Status.FEASIBLE, 10.0, 8, 1.23456, solution=None)
    d = r.to_dict()
    assert d["schema"] == 1 and d["status"] == "feasible" and d["objective"] == 10
    assert d["gap"] == pytest.approx(0.2)
    json.dumps(d)


def test_false_claims_of_a_result_document():
    from schedcert.result import false_claims

    doc = {"schema": 1, "status": "optimal", "objective": 515, "bound": 515}
    assert false_claims(doc, 515, "max") == [] and false_claims({"starts": [0]}, 515) == []
    # maximisation: an upper bound below the solution's value is no bound; a lex-encoded value off by one counts
    low = false_claims({**doc, "objective": 2122847, "bound": 2122846, "status": "feasible"}, 2122847, "max")
    assert low == ["bound: the result's upper bound 2122846 is below its solution's objective 2122847: no valid bound"]
    assert false_claims({**doc, "bound": 520, "status": "feasible"}, 515, "max") == []
    assert false_claims({**doc, "bound": 520}, 515, "max") == [
        "status: optimal, but the bound 520 does not meet the objective 515"]
    assert false_claims({**doc, "objective": 1400.01, "bound": 1397.5, "status": "feasible"}, 1400.0) == [
        "objective: the result states 1400.01; its solution's is 1400"]
    # a value past a float's range compares exactly (it raised OverflowError)
    assert false_claims({**doc, "objective": 10 ** 400, "bound": 10 ** 400}, 10 ** 400) == []
    assert false_claims({**doc, "status": "feasible", "objective": 1.5}, 10 ** 400) == [
        f"objective: the result states 1.5; its solution's is {10 ** 400}"]
    # the gap, status infeasible and valid: false are claims too (they validated with exit 0)
    mid = {"schema": 1, "status": "feasible", "objective": 60, "bound": 59, "gap": 1 / 60, "valid": True}
    assert false_claims(mid, 60) == []
    assert false_claims({**mid, "gap": 0.0}, 60) == [
        "gap: the result states 0; its solution's objective 60 and the bound 59 give 0.0166667"]
    assert false_claims({**mid, "status": "infeasible"}, 60) == [
        "status: infeasible (no solution exists), but its solution is feasible"]
    assert false_claims({**mid, "valid": False}, 60) == [
        "valid: the result calls its solution invalid, but it is feasible"]
    assert false_claims({**mid, "gap": None, "bound": None}, 60) == []  # no bound: no gap to state
    assert false_claims({**mid, "bound": 0.5, "gap": 1.0}, 10 ** 400) != []  # no OverflowError


def test_yaml_merge_keys_may_be_overridden_but_keys_not_repeated():
    from schedcert.errors import parse_yaml

    assert parse_yaml("base: &b {cpu: 1, mem: 2}\nnode: {<<: *b, cpu: 4}\n")["node"] == {"cpu": 4, "mem": 2}
    with pytest.raises(InputError, match="key 'cpu' given twice") as err:
        parse_yaml("a: 1\nnode:\n  cpu: 1\n  cpu: 4\n", "x.yaml")
    assert err.value.line == 4


def test_false_solution_facts():
    """Every derived key a solution states is recomputed; the decision keys
    and keys it leaves out are not compared."""
    from schedcert.result import false_solution_facts

    ours = {"assignment": {"a": "n1"}, "tiers": {"10": "1/2", "5": "0/1"}, "moved": 0, "gpu_free": 1.5}
    assert false_solution_facts({"assignment": ["n1"], "moved": 0.0, "gpu_free": 1.5}, ours, ("assignment",)) == []
    assert false_solution_facts([1, 2], ours, ("assignment",)) == []
    assert false_solution_facts({"tiers": {"10": "1/2"}, "moved": True}, ours, ("assignment",)) == [
        "tiers: the solution states tiers.5 = (absent); recomputed from it: \"0/1\"",
        "moved: the solution states true; recomputed from it: 0"]
    assert false_solution_facts({"completion": [3, 5]}, {"sequence": [1, 2], "completion": [3, 4]}, ("sequence",)) \
        == ["completion: the solution states completion[1] = 5; recomputed from it: 4"]


def test_false_certificate_claims():
    from schedcert.certify import false_certificate_claims

    cert = {"bound": 59, "heuristic_deviation": 1 / 59, "optimum_proven": True}
    assert false_certificate_claims(cert, 60, 59) == []
    assert false_certificate_claims({**cert, "heuristic_deviation": 0.001}, 60, 59) == [
        "heuristic_deviation: the certificate states 0.001; the heuristic's objective 60 and the bound 59 "
        "give 0.0169492"]
    assert false_certificate_claims(cert, 60, None) == [  # the exact schedule is missing or infeasible
        "optimum_proven: the bound 59 equals neither schedule's objective"]
    assert false_certificate_claims({**cert, "bound": 0}, 60, 0) == [  # no ratio to a bound of 0
        "heuristic_deviation: the certificate states 0.0169492; the heuristic's objective 60 and the bound 0 give none"]
    # maximisation (podpack): (bound - objective) / bound
    assert false_certificate_claims({"bound": 520, "heuristic_deviation": 5 / 520}, 515, 520, "max") == []
    # the least deviation, from the better of the two schedules: 99 and 92 give 7 / 92
    cert = {"bound": 83, "heuristic_deviation": 16 / 83, "heuristic_deviation_min": 7 / 92}
    assert false_certificate_claims(cert, 99, 92) == []
    assert false_certificate_claims({**cert, "heuristic_deviation_min": 0}, 99, 92) == [
        "heuristic_deviation_min: the certificate states 0; the heuristic's objective 99 and the best "
        "schedule's 92 give 0.076087"]
    assert false_certificate_claims({**cert, "heuristic_deviation_min": 7 / 92}, 99, None) == [  # no exact schedule
        "heuristic_deviation_min: the certificate states 0.076087; the heuristic's objective 99 and the best "
        "schedule's 99 give 0"]


def test_unknown_problem_and_method():
    with pytest.raises(InputError, match="unknown problem"):
        get_problem("nope")
    with pytest.raises(InputError, match="unknown method 'nope' for rcpsp"):
        get_method(get_problem("rcpsp"), "nope")


def test_reference_formats(tmp_path):
    a = tmp_path / "a.csv"
    a.write_text("instance,lower_bound,upper_bound,optimal,critical_path\nx.sm,10,12,no,9\ny.sm,5,5,yes,5\n")
    ref = read_reference(a)
    assert ref["x.sm"].upper_bound == 12 and not ref["x.sm"].optimal and ref["y.sm"].optimal
    b = tmp_path / "b.csv"
    b.write_text("instance,rdd,tf,optimal_total_tardiness\ni1,0.2,0.4,77\n")
    assert read_reference(b)["i1"].upper_bound == 77
    refs = {**ref, "x": Reference(1, 1), "z": Reference(3, 3), "wt40.txt": Reference(4, 4)}
    assert reference_for(refs, Path("d/x.sm")).upper_bound == 12  # the full name first
    assert reference_for(refs, Path("d/z.json")).upper_bound == 3 and reference_for(refs, Path("d/q.json")) is None
    assert reference_for(refs, Path("wt40.txt#7")) is None  # a stream member by its full name only
    c = tmp_path / "c.csv"
    c.write_text("instance,lower_bound,upper_bound\nx,abc,3\n")
    with pytest.raises(InputError, match=r"c.csv:2: column 'lower_bound'"):
        read_reference(c)
    # an instance listed twice (the last row won) and bounds the wrong way round passed without a word
    c.write_text("instance,lower_bound,upper_bound\nx,40,45\ny,1,2\nx,43,43\n")
    with pytest.raises(InputError, match=r"c.csv:4: instance x is listed twice \(also line 2\)"):
        read_reference(c)
    c.write_text("instance,lower_bound,upper_bound\nx,50,43\n")
    with pytest.raises(InputError, match=r"c.csv:2: instance x: lower_bound 50 is above upper_bound 43"):
        read_reference(c)


def test_highs_runner_survives_changing_worker_counts():
    """HiGHS fixes its thread pool on first use; a second solve with another
    worker count once came back 'unknown', and with highspy 1.16 the
    refutation LPs (threads 1) failed after a runner solve (HiGHS' default
    pool: 2 threads here) with status 'Not Set' (regressions)."""
    import numpy as np
    import pyomo.environ as pyo

    from schedcert.milp import solve_pyomo
    from schedcert.models.rcpsp_destructive import lp_feasible

    for workers in (2, 1, 3):
        m = pyo.ConcreteModel()
        m.x = pyo.Var(range(3), domain=pyo.Binary)
        m.c = pyo.Constraint(expr=sum(m.x[i] for i in range(3)) >= 2)
        m.o = pyo.Objective(expr=3 * m.x[0] + 2 * m.x[1] + 4 * m.x[2])
        out = solve_pyomo(m, Options(workers=workers), 10, "highs")
        assert out.status == Status.OPTIMAL and out.objective == 5
        # two unit-demand activities of length 2 that cannot overlap fit in [0, 4), not [0, 3)
        p, sets = np.array([0, 2, 2, 0]), [0b0010, 0b0100]
        assert lp_feasible(p, np.array([0, 0, 0, 4]), np.array([0, 2, 2, 4]), sets)
        assert not lp_feasible(p, np.array([0, 0, 0, 3]), np.array([0, 1, 1, 3]), sets)


def test_highs_proves_the_true_optimum_where_highs_1_14_did_not():
    """HiGHS 1.14.0's MIP presolve returned a wrong 'optimal' (fixed in 1.15,
    ERGO-Code/HiGHS#2961; highspy is required >= 1.16). The runner must give
    the true optimum on the issue's model (min 2x + 3z, x + z >= 4.5, z
    integer: 9 at x = 4.5) and on the 3-job weighted-tardiness MIP that
    caught it here (optimum 38, sequence 0, 2, 1; 1.14.0 said 40)."""
    import pyomo.environ as pyo

    from schedcert.instances.smtt import SmttInstance
    from schedcert.milp import solve_pyomo
    from schedcert.models.smtt import build_mip

    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 10))
    m.z = pyo.Var(bounds=(0, 10), domain=pyo.Integers)
    m.c = pyo.Constraint(expr=m.x + m.z >= 4.5)
    m.o = pyo.Objective(expr=2 * m.x + 3 * m.z)
    out = solve_pyomo(m, Options(workers=1), 10, "highs")
    assert out.status == Status.OPTIMAL and out.objective == pytest.approx(9)
    inst = SmttInstance(name="tiny", p=(6, 7, 6), d=(9, 0, 12), w=(3, 2, 2), meta={})
    out = solve_pyomo(build_mip(inst), Options(workers=1), 10, "highs")
    assert out.status == Status.OPTIMAL and out.objective == pytest.approx(38)


def _knapsack_cover_mip():
    """min 3x0 + 2x1 + 4x2 s.t. 2x0 + 3x1 + 4x2 >= 5, x binary: optimum 5 (x0 = x1 = 1)."""
    import pyomo.environ as pyo

    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(3), domain=pyo.Binary)
    m.c = pyo.Constraint(expr=2 * m.x[0] + 3 * m.x[1] + 4 * m.x[2] >= 5)
    m.o = pyo.Objective(expr=3 * m.x[0] + 2 * m.x[1] + 4 * m.x[2])
    return m


@pytest.mark.parametrize("hide_cbcbox", [False, True])
def test_cbc_runner_with_cbcbox_and_with_pulps_own_binary(monkeypatch, hide_cbcbox):
    """CBC comes from cbcbox (PuLP's cbc extra); without it, from the binary
    in PuLP 2.x/3.x wheels. Either way the same tiny MIP is solved exactly."""
    import sys

    from schedcert.milp import solve_pyomo

    if hide_cbcbox:
        pulp = pytest.importorskip("pulp")
        if not hasattr(pulp, "PULP_CBC_CMD"):
            pytest.skip("this PuLP ships no CBC binary of its own")
        monkeypatch.setitem(sys.modules, "cbcbox", None)  # import raises ImportError
    else:
        pytest.importorskip("cbcbox")
    out = solve_pyomo(_knapsack_cover_mip(), Options(workers=1), 10, "cbc")
    assert out.status == Status.OPTIMAL and out.objective == 5 and out.bound == 5
    assert out.solver["version"].startswith("cbcbox") != hide_cbcbox


def test_cbc_runs_serially_whatever_the_workers(capfd):
    """CBC's parallel mode can idle until the time limit (coin-or/Cbc#640),
    so the runner never passes it ``threads``, even with several workers."""
    from schedcert.milp import solve_pyomo

    out = solve_pyomo(_knapsack_cover_mip(), Options(workers=2, log=True), 10, "cbc")
    echoed = capfd.readouterr().err  # --log: CBC's log on stderr
    assert "-import" in echoed and "-threads" not in echoed  # CBC echoes its command line
    assert out.status == Status.OPTIMAL and out.objective == 5
    assert out.solver["params"]["threads"] == 1


def test_warm_start_heuristic_and_share_are_selectable():
    from schedcert.instances.rcpsp import generate
    from schedcert.registry import run_method

    inst = generate(seed=1, jobs=10)
    res = run_method("rcpsp", "cpsat", inst, Options(time_limit=5, workers=1, params={"warm": "sgs-lft"}))
    assert res.info["warm_start"] == "sgs-lft" and res.evaluation.feasible
    assert run_method("rcpsp", "cpsat", inst, Options(time_limit=5, workers=1)).info["warm_start"] == "ga"
    with pytest.raises(InputError, match="unknown method 'nope'"):
        run_method("rcpsp", "cpsat", inst, Options(time_limit=5, params={"warm": "nope"}))
    with pytest.raises(InputError, match="warm_share"):
        run_method("rcpsp", "cpsat", inst, Options(time_limit=5, params={"warm_share": "2"}))


def test_sat_parameters_list_fields_and_cp_sats_own_check():
    """A list field such as subsolvers takes comma-separated values (a bare
    string was an AttributeError traceback); values CP-SAT refuses are named
    with its reason, alone and, failing that, together at solve time."""
    from ortools.sat.python import cp_model

    from schedcert.cpsat import check_sat_field, solve_cpsat

    assert check_sat_field("subsolvers", "default_lp, max_lp") == ["default_lp", "max_lp"]
    assert check_sat_field("restart_algorithms", "1,2") == [1, 2]
    with pytest.raises(InputError, match="parameter 'max_time_in_seconds' is NaN"):
        check_sat_field("max_time_in_seconds", "nan")
    model = cp_model.CpModel()
    x = model.new_int_var(0, 9, "x")
    model.add(x >= 4)
    model.minimize(x)
    solver = cp_model.CpSolver()
    out = solve_cpsat(model, Options(params={"sat.subsolvers": "default_lp,max_lp"}), 5, solver=solver)
    assert out.objective == 4 and list(solver.parameters.subsolvers) == ["default_lp", "max_lp"]
    with pytest.raises(InputError, match="CP-SAT refuses these parameters: parameter 'num_workers'"):
        solve_cpsat(model, Options(params={"sat.num_workers": -3}), 5)
