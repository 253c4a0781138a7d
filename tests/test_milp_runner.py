"""The Pyomo runner when CBC misbehaves: a fractional point reported as a
solution, and a run far past its time limit (coin-or/Cbc#487)."""

import json
import subprocess
from types import SimpleNamespace

import pyomo.environ as pyo
from pyomo.common.tempfiles import TempfileManager
from pyomo.opt import TerminationCondition

import schedcert.milp as milp
from schedcert.instances.dag import generate
from schedcert.registry import run_method
from schedcert.result import Options, Status


class FakeCbc:
    """Stands in for Pyomo's CBC interface: returns `tc` with one 'solution',
    or is killed at its `timelimit` (Pyomo raises TimeoutExpired)."""

    def __init__(self, tc=None):
        self.tc, self.options, self.kw = tc, {}, None

    def available(self, exception_flag=False):
        return True

    def version(self):
        return (2, 10)

    def solve(self, model, **kw):
        self.kw = kw
        if self.tc is None:
            TempfileManager.push()  # as Pyomo does before writing the model file
            raise subprocess.TimeoutExpired("cbc", kw["timelimit"])
        return SimpleNamespace(solver=SimpleNamespace(termination_condition=self.tc),
                               problem=SimpleNamespace(lower_bound=3.0, upper_bound=float("inf")),
                               solution=[object()])


def _model():
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(3), domain=pyo.Binary)
    m.c = pyo.Constraint(expr=sum(m.x[i] for i in range(3)) >= 2)
    m.obj = pyo.Objective(expr=sum((i + 1) * m.x[i] for i in range(3)))
    return m


def _use(monkeypatch, fake):
    monkeypatch.setattr(milp, "_solver_factory", lambda name, **kw: fake)
    monkeypatch.setattr(milp, "_cbc_binary", lambda: ("cbc", "fake"))


def test_cbc_stopped_without_an_integer_solution_has_none(monkeypatch):
    _use(monkeypatch, FakeCbc(TerminationCondition.intermediateNonInteger))
    out = milp.solve_pyomo(_model(), Options(workers=1), 10, "cbc")
    assert out.status == Status.UNKNOWN and out.objective is None and out.bound == 3.0


def test_cbc_is_killed_after_its_grace_and_leaves_no_files(monkeypatch):
    fake = FakeCbc()
    _use(monkeypatch, fake)
    depth = len(TempfileManager._context_stack)
    out = milp.solve_pyomo(_model(), Options(workers=1), 10, "cbc")
    assert fake.options["sec"] == 10 and fake.options["timeMode"] == "elapsed"
    assert fake.kw["timelimit"] == 10 + milp.CBC_GRACE
    assert out.status == Status.UNKNOWN and out.solver["params"]["killed_after"] == 15.0
    assert len(TempfileManager._context_stack) == depth
    assert milp.solve_pyomo(_model(), Options(workers=1), 100, "cbc").solver["params"]["killed_after"] == 120.0


def test_killed_cbc_reports_the_warm_start_with_a_note(monkeypatch):
    fake = FakeCbc()
    _use(monkeypatch, fake)
    inst = generate(seed=3, tasks=8, processors=2)
    warm = run_method("dag", "list-best", inst, Options())
    res = run_method("dag", "milp-cbc", inst, Options(time_limit=10, workers=1))
    assert res.objective == warm.objective and res.evaluation.feasible
    # CBC gets what the warm start left of the 10 s (its 'sec'), and is killed CBC_GRACE later
    assert fake.kw["timelimit"] == fake.options["sec"] + milp.CBC_GRACE and 9 < fake.options["sec"] <= 10
    assert f"stopped after {round(fake.kw['timelimit'], 1)} s;" in res.info["note"]


def test_integrality_check():
    m = _model()
    for i, v in enumerate((1, 1, 0)):
        m.x[i].value = v
    assert milp._integral(m)
    m.x[2].value = 0.5
    assert not milp._integral(m)


def test_certify_prints_the_notes_of_both_runs(monkeypatch, run):
    fake = FakeCbc()
    _use(monkeypatch, fake)
    res = run("certify", "dag", "--example", "-H", "heft", "--exact", "milp-cbc", "--time-limit", "10")
    assert res.exit_code == 0
    note = f"note (exact): cbc ran past its time limit and was stopped after {round(fake.kw['timelimit'], 1)} s;"
    assert note in " ".join(res.output.split())


def test_size_cap_follows_the_time_limit():
    assert milp.too_large(4e5, 10) is None and milp.too_large(6e5, 10) is not None  # 10 s: 500 k nonzeros
    assert milp.too_large(6e5, 60) is None and milp.too_large(2e5, 0.1) is None  # at least 200 k
    assert milp.too_large(2e7, None) is not None and milp.too_large(2e7, 1e6) is not None  # at most 10 M


def test_oversized_models_are_not_built_and_the_warm_start_is_reported(tmp_path):
    from importlib.resources import files

    from schedcert.instances.rcpsp import read as read_rcpsp
    from schedcert.instances.smtt import generate as generate_smtt

    doc = json.loads((files("schedcert") / "examples" / "rcpsp-example.json").read_text())
    for a in doc["activities"]:
        a["duration"] *= 200  # 32 activities, durations up to 2000: about 340 M nonzeros
    (tmp_path / "long.json").write_text(json.dumps(doc))
    cases = [("rcpsp", "milp", read_rcpsp(tmp_path / "long.json")),
             ("smtt", "mip-cbc", generate_smtt(seed=1, jobs=500)),  # about 1 M nonzeros
             ("dag", "milp", generate(seed=1, tasks=300, processors=4))]  # about 505 k
    for problem, name, instance in cases:
        res = run_method(problem, name, instance, Options(time_limit=10, workers=1))
        assert "not built, the warm start is reported" in res.info["note"], problem
        assert res.objective == res.info["warm_objective"] and res.evaluation.feasible
        assert res.runtime < 10, (problem, res.runtime)  # not built: well inside the limit


def test_a_solvers_optimal_counts_only_where_its_bound_meets_the_objective():
    """Gurobi and CPLEX stop "optimal" at a relative gap of 1e-4 by default:
    on a total weighted tardiness of 480 000 that is 48 units unproven."""
    assert milp._status(True, 480_000, 479_952, trust=False) == (Status.FEASIBLE, 479_952)
    assert milp._status(True, 59, 59.0000000001, trust=False)[0] == Status.OPTIMAL
    assert milp._status(True, 59, None, trust=False) == (Status.OPTIMAL, 59)
    assert milp._status(True, 59, 58, trust=True) == (Status.OPTIMAL, 58)  # CBC: run with ratio 0
    assert milp._status(False, 59, 59, trust=False) == (Status.FEASIBLE, 59)
    assert milp._status(True, None, 3.0, trust=False) == (Status.UNKNOWN, 3.0)


def test_another_milp_solver_by_name():
    """`-m milp --param solver=NAME` runs the same formulation with any
    solver Pyomo knows. SCIP (PySCIPOpt, a test dependency) is a third
    independent solver: it must agree with HiGHS."""
    import pytest

    from schedcert.instances.rcpsp import generate as generate_rcpsp
    from schedcert.instances.smtt import generate as generate_smtt

    if not milp.solver_available("scip_direct"):
        pytest.skip("PySCIPOpt is not installed (pip install pyscipopt, or '.[test]')")
    cases = [("rcpsp", "milp", generate_rcpsp(seed=s, jobs=8)) for s in (1, 2)]
    cases += [("smtt", "mip", generate_smtt(seed=1, jobs=8, weighted=True))]
    for problem, meth, inst in cases:
        opts = Options(time_limit=60, workers=1, params={"warm": "0"})
        highs = run_method(problem, meth, inst, opts)
        scip = run_method(problem, meth, inst, Options(time_limit=60, workers=1,
                                                       params={"warm": "0", "solver": "scip_direct"}))
        assert scip.solver["name"] == "scip_direct" and highs.solver["name"] == "highs"
        assert scip.status == highs.status == Status.OPTIMAL and scip.objective == highs.objective, problem
        assert 0 < scip.solver["params"]["time_limit"] <= 60 and scip.evaluation.feasible
    # a bench passes its params to every method: the CBC variant stays CBC
    cbc = run_method("rcpsp", "milp-cbc", cases[0][2], Options(time_limit=60, workers=1,
                                                                params={"warm": "0", "solver": "scip_direct"}))
    assert cbc.solver["name"] == "cbc"


def test_a_solver_without_known_options_runs_with_its_defaults_and_says_so():
    inst = generate(seed=3, tasks=6, processors=2)
    res = run_method("dag", "milp", inst, Options(time_limit=20, workers=1, params={"solver": "appsi_highs"}))
    assert res.solver["name"] == "appsi_highs" and res.solver["params"]["own_defaults"]
    assert "does not know appsi_highs's option names" in res.info["note"]
    assert res.objective == run_method("dag", "milp", inst, Options(time_limit=20, workers=1)).objective


def test_a_solver_that_is_not_here_is_refused_before_solving():
    import pytest

    from schedcert.errors import InputError
    from schedcert.registry import check_params, get_problem

    with pytest.raises(InputError, match=r"--param solver: expected a MILP solver Pyomo can run here "
                                         r".* got 'no_such_solver'"):
        check_params(get_problem("rcpsp"), ["milp"], {"solver": "no_such_solver"})
    with pytest.raises(InputError, match="not read by milp-cbc"):
        check_params(get_problem("rcpsp"), ["milp-cbc"], {"solver": "highs"})


def _knapsack():
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(4), domain=pyo.Binary)
    m.c = pyo.Constraint(expr=sum((i + 2) * m.x[i] for i in range(4)) <= 7)
    m.obj = pyo.Objective(expr=sum((i + 3) * m.x[i] for i in range(4)), sense=pyo.maximize)
    return m


def test_highs_gets_the_time_left_after_the_transfer():
    """The model's transfer to HiGHS (0.9 s for smtt's weighted MIP at
    n = 100) was outside HiGHS's clock, and its limit had a 1 s floor:
    `mip --time-limit 2` took 3.5 s there."""
    out = milp.solve_pyomo(_knapsack(), Options(), 10.0, "highs")
    assert out.status == Status.OPTIMAL and out.objective == 9  # weights 2..5, values 3..6, capacity 7: {2,5} or {3,4}
    used = out.solver["params"]
    assert 0 <= used["transfer_s"] < 10 and "no_time_left" not in used
    late = milp.solve_pyomo(_knapsack(), Options(), 0.01, "highs")  # under MIN_SOLVE: HiGHS is not run
    assert late.status == Status.UNKNOWN and late.solver["params"]["no_time_left"]


def test_a_mip_without_time_left_returns_the_warm_start_with_a_note():
    from schedcert.instances.smtt import generate as smtt_instance

    inst = smtt_instance(seed=1, jobs=100, weighted=True)
    res = run_method("smtt", "mip", inst, Options(time_limit=0.3))
    assert res.status == Status.FEASIBLE and res.objective == res.info["warm_objective"]
    assert "no time left for highs" in res.info["note"]
