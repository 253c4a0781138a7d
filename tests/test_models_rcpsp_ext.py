"""RCPSP extensions in the methods: known answers on hand-built instances,
CP-SAT against the time-indexed MILP, the feasibility objective, and the
infeasibility explanation."""

import dataclasses
from importlib.resources import files

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from schedcert.instances import rcpsp as R
from schedcert.instances import rcpsp_ramp as G
from schedcert.models.rcpsp_explain import explain_infeasibility
from schedcert.registry import get_problem, run_method
from schedcert.result import Options, Status

PROB = get_problem("rcpsp")


def inst(durations, demands, caps, succ, **ext):
    return R.RcpspInstance("t", tuple(durations), tuple(map(tuple, demands)), tuple(caps),
                           tuple(map(tuple, succ)), **ext)


def solve(i, method="cpsat", **params):
    return run_method(PROB, method, i, Options(time_limit=20, workers=1, params=params))


TWO = dict(durations=(3, 2), demands=((1,), (1,)), caps=(1,), succ=((), ()))  # two jobs, one machine


@pytest.mark.parametrize("ext, optimum", [
    ({}, 5),
    ({"release": (0, 4)}, 6),                                       # B waits for its release date
    ({"deadline": (None, 2)}, 5),                                   # B first
    ({"calendars": (((1, 4, 0),),)}, 9),                            # nothing fits before 4: B [4,6) A [6,9)
    ({"calendars": (((0, 10, 0),),)}, 15),                          # all after the downtime
    ({"lags": ((0, 1, 2, None),)}, 7),                              # A -> B with min lag 2 (edge added below)
])
def test_known_optima_single_machine(ext, optimum):
    succ = ((1,), ()) if "lags" in ext else TWO["succ"]
    i = inst(TWO["durations"], TWO["demands"], TWO["caps"], succ, **ext)
    for method in ("cpsat", "milp"):
        r = solve(i, method)
        assert r.status == Status.OPTIMAL and r.objective == optimum, (method, r.info)


def test_disjunctive_pair_and_reduced_capacity():
    free = inst((3, 3), ((0,), (0,)), (1,), ((), ()))
    assert solve(free).objective == 3
    pair = inst((3, 3), ((0,), (0,)), (1,), ((), ()), disjunctive=((0, 1),))
    assert solve(pair).objective == 6
    cal = inst((2, 2), ((1,), (1,)), (2,), ((), ()), calendars=(((0, 5, 1),),))
    assert solve(cal).objective == 4 and solve(cal, "milp").objective == 4


def test_negative_lags_in_the_derived_horizon():
    """a0 -> a1 at min lag -2 (a1 may start as a0 starts), a disjunctive
    pair, the one machine down on [1, 4): a0 [4, 6), a1 [6, 7) is optimal.
    The derived horizon added the lag (4 + (2 - 2) + 1 = 5) and was taken as
    safe: both CP-SAT and the MILP proved "infeasible". A negative lag
    now counts as 0 in the horizon (7) and makes it unsafe, since it bounds
    a0's start from above as a maximum lag would."""
    i = inst((2, 1), ((1,), (1,)), (1,), ((1,), ()), lags=((0, 1, -2, None),), disjunctive=((0, 1),),
             calendars=(((1, 4, 0),),))
    assert R.planning_horizon(i) == (7, False)
    for method in ("cpsat", "milp"):
        r = solve(i, method)
        assert r.status == Status.OPTIMAL and r.objective == 7 and r.solution.starts == (4, 6), method
    # min and max lag -2 between two zero-duration activities: S_0 = S_1 + 2; the horizon (1, from the
    # downtime) left no room for it, and "no schedule by the derived horizon" came back (found by the test below)
    i = inst((0, 0), ((0,), (0,)), (1,), ((1,), ()), lags=((0, 1, -2, -2),), disjunctive=((0, 1),),
             calendars=(((0, 1, 0),),))
    assert R.planning_horizon(i) == (3, False)
    for method in ("cpsat", "milp"):
        r = solve(i, method)
        assert r.status == Status.OPTIMAL and r.objective == 2 and r.solution.starts == (2, 0), method


def _tiny_extended(rnd) -> R.RcpspInstance:
    """2-3 activities, 1-2 resources, with any of downtime, a calendar,
    release dates, deadlines, lags (negative and maximum ones too) and a
    disjunctive pair, drawn by `rnd`."""
    n, k = rnd.randint(2, 3), rnd.randint(1, 2)
    calendars = []
    for _ in range(k):
        cal = []
        if rnd.random() < 0.4:
            a = rnd.randint(0, 5)
            cal.append((a, a + rnd.randint(1, 3), 0))
        if rnd.random() < 0.3:
            a = rnd.randint(9, 10)
            cal.append((a, a + 2, rnd.randint(0, 4)))
        calendars.append(tuple(cal))
    succ = [tuple(j for j in range(i + 1, n) if rnd.random() < 0.3) for i in range(n)]
    lags = []
    for i in range(n):
        for j in succ[i]:
            if rnd.random() < 0.5:
                lo = rnd.randint(-2, 3)
                lags.append((i, j, lo, lo + rnd.randint(0, 3) if rnd.random() < 0.5 else None))
    return inst([rnd.randint(0, 3) for _ in range(n)], [[rnd.randint(0, 2) for _ in range(k)] for _ in range(n)],
                [rnd.randint(1, 3) for _ in range(k)], succ, calendars=tuple(calendars), lags=tuple(lags),
                release=tuple(rnd.randint(0, 4) if rnd.random() < 0.3 else 0 for _ in range(n)),
                deadline=tuple(rnd.randint(2, 10) if rnd.random() < 0.25 else None for _ in range(n)),
                disjunctive=((0, n - 1),) if rnd.random() < 0.4 else ())


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False))
def test_cpsat_and_milp_against_brute_force_over_the_validator(rnd):
    """Every start vector up to 12 checked by the validator alone: where one
    is feasible, both models find the best makespan (none of them claims
    infeasible); the instance above was found this way (600 such instances
    checked once, all agreeing after the fix)."""
    import itertools

    from schedcert.errors import InputError

    try:
        i = _tiny_extended(rnd)
        R.check_semantics(i, None, None)
    except InputError:  # a demand above every capacity, deadlines before releases ...: the reader's refusals
        return
    best = None
    for starts in itertools.product(range(13), repeat=i.n):
        ev = R.evaluate(i, R.RcpspSolution(starts))
        if ev.feasible and (best is None or ev.objective < best):
            best = ev.objective
    for method in ("cpsat", "milp"):
        r = solve(i, method)
        if best is not None:  # up to 13 the optimum (a shorter schedule starts by 12), past it at most best
            assert r.status == Status.OPTIMAL and (r.objective == best if best <= 13 else r.objective <= best), \
                (method, r.status, r.objective, best)
        else:  # none starts by 12: an optimum would end later
            assert r.status != Status.OPTIMAL or max(r.solution.starts) > 12, (method, r.objective)


def test_max_lag_forces_a_later_start_of_the_predecessor():
    # A -> B with max lag 0; C occupies the machine B needs during [3, 6)
    i = inst((3, 2, 3), ((0, 0), (0, 1), (0, 1)), (1, 1), ((1,), (), ()), lags=((0, 1, 0, 0),),
             release=(0, 0, 3), deadline=(None, None, 6))
    r = solve(i)
    assert r.status == Status.OPTIMAL and r.objective == 8  # C [3,6), A [3,6), B [6,8)
    assert r.solution.starts[1] == r.solution.starts[0] + 3


def test_deadline_that_cannot_be_met_is_proven_infeasible_and_explained():
    i = inst((3, 2, 2), ((1,), (2,), (1,)), (2,), ((1,), (), ()), deadline=(None, 7, None),
             calendars=(((4, 8, 0),),), disjunctive=((0, 2),), release=(0, 0, 1))
    for objective in ("makespan", "feasibility"):
        r = solve(i, objective=objective)
        assert r.status == Status.INFEASIBLE and r.solution is None
        assert set(r.info["conflict"]) == {"activity 2's deadline 7", "the precedence 1->2",
                                           "resource R1's capacity 2", "resource R1 downtime [4, 8)"}
        assert r.info["conflict_irreducible"]
    assert solve(i, "milp").status == Status.INFEASIBLE


def test_explanation_names_the_planted_conflict_in_the_example():
    path = files("schedcert").joinpath("examples/rcpsp-dc-migration.yaml")
    base = R.read(path)
    j = base.activity_names.index("verify-a")
    dl = list(base.deadline)
    dl[j] = 12  # impossible: transport-a .. verify-a alone take 4+2+3+2+1+2 = 14 hours
    why = explain_infeasibility(dataclasses.replace(base, deadline=tuple(dl)))
    assert why is not None and why["irreducible"]
    chain = ["transport-a", "unload-a", "rerack-a", "cable-a", "power-on-a", "verify-a"]
    assert set(why["constraints"]) == {"activity verify-a's deadline 12"} | {
        f"the precedence {a}->{b}" for a, b in zip(chain, chain[1:])}
    assert why["text"] == ("activity verify-a's deadline 12 and the precedences " + "->".join(chain)
                           + " cannot all hold (given the durations and demands)")


def test_example_optimum_agrees_between_cpsat_and_milp():
    path = files("schedcert").joinpath("examples/rcpsp-dc-migration.yaml")
    i = R.read(path)
    a = run_method(PROB, "cpsat", i, Options(time_limit=30, workers=1))
    b = run_method(PROB, "milp", i, Options(time_limit=60, workers=1))
    assert a.status == b.status == Status.OPTIMAL and a.objective == b.objective == 39


@pytest.mark.parametrize("seed", range(4))
def test_cpsat_and_milp_agree_on_small_ramp_instances(seed):
    for allow in (False, True):
        i, _ = G.ramp_instance(seed=seed, level=4, mix="all", jobs=7, layers=3, max_duration=4,
                               allow_infeasible=allow)
        a = run_method(PROB, "cpsat", i, Options(time_limit=20, workers=1, params={"warm": "0"}))
        b = run_method(PROB, "milp", i, Options(time_limit=60, workers=1, params={"warm": "0"}))
        assert a.status == b.status and a.objective == b.objective, (i.name, a.status, b.status)
        if not allow:
            assert a.status == Status.OPTIMAL


def test_feasibility_objective_returns_any_schedule_quickly():
    i, _ = G.ramp_instance(seed=1, level=10, mix="all")
    r = solve(i, objective="feasibility", warm="0")
    assert r.status in (Status.FEASIBLE, Status.OPTIMAL) and r.evaluation.feasible


def test_heuristic_says_why_it_failed():
    i = inst((3, 2), ((1,), (1,)), (1,), ((), ()), deadline=(3, 3))
    r = run_method(PROB, "sampling", i, Options(time_limit=2, params={"samples": 20}))
    assert r.status == Status.UNKNOWN and "deadline 3" in r.info["failure"]
    assert solve(i).status == Status.INFEASIBLE


def test_plain_only_heuristics_refuse_extended_instances():
    from schedcert.errors import InputError

    i = inst((3, 2), ((1,), (1,)), (1,), ((), ()), release=(0, 1))
    with pytest.raises(InputError, match="psgs-lft does not handle"):
        run_method(PROB, "psgs-lft", i, Options())
    assert run_method(PROB, "sgs-lft", i, Options()).objective == 5
