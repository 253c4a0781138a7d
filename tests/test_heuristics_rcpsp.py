"""RCPSP heuristics: hand-checked SGS schedules, justification, bounds."""

import numpy as np
import pytest

from schedcert.heuristics import rcpsp as H
from schedcert.instances import rcpsp as R
from schedcert.registry import get_problem, run_method
from schedcert.result import Options

from conftest import read_bounds


def _tiny():
    """Source 0, jobs 1..4, sink 5; one resource of capacity 2.
    1 (p=3, r=2) -> 3 (p=2, r=1); 2 (p=2, r=1) -> 4 (p=4, r=1); 3,4 -> 5."""
    return R.RcpspInstance(
        "tiny", (0, 3, 2, 2, 4, 0), ((0,), (2,), (1,), (1,), (1,), (0,)), (2,),
        ((1, 2), (3,), (4,), (5,), (5,), ()))


def test_serial_sgs_hand_checked():
    inst = _tiny()
    # list 0,1,2,3,4,5: job 1 takes both units in [0,3); job 2 starts at 3,
    # job 3 at 3 (1 unit each), job 4 after job 2 at 5 -> makespan 9.
    assert list(H.serial_sgs(inst, [0, 1, 2, 3, 4, 5])) == [0, 0, 3, 3, 5, 9]
    # list 0,2,1,4,3,5: job 2 at 0 (1 unit, [0,2)); job 1 needs both units ->
    # starts 2, [2,5); job 4 (after 2) finds no unit before 5; job 3 at 5 beside it.
    assert list(H.serial_sgs(inst, [0, 2, 1, 4, 3, 5])) == [0, 2, 0, 5, 5, 9]


def test_parallel_sgs_hand_checked():
    inst = _tiny()
    # tails q = (6, 5, 6, 2, 4, 0), critical path 6, LF = 6 - q + p.
    prio = H.priority_values(inst, "lft")
    assert list(prio) == [0, 4, 2, 6, 6, 6]
    # t=0: job 2 (LF 2) starts, job 1 (2 units) does not fit; t=2: job 1;
    # job 4 does not fit; t=5: jobs 3 and 4 together; sink at 9.
    assert list(H.parallel_sgs(inst, prio)) == [0, 2, 0, 5, 5, 9]


def test_zero_duration_activity_with_any_demand():
    """A milestone (p = 0) occupies no period, so its demand, even above
    capacity, binds nothing (the reader and validator agree). The parallel
    SGS found it never 'fit', stopped, and returned starts at 0 that broke
    precedences (a ValidationError in psgs-*, sampling). Tiny + a milestone
    5 (p=0, r=5 > 2) after job 1, before job 4 (sink 6): every heuristic
    matches CP-SAT's optimum 9 or is above it, and is validated."""
    inst = R.RcpspInstance(
        "milestone", (0, 3, 2, 2, 4, 0, 0), ((0,), (2,), (1,), (1,), (1,), (5,), (0,)), (2,),
        ((1, 2), (3, 5), (4,), (6,), (6,), (4,), ()))
    prob = get_problem("rcpsp")
    opt = run_method(prob, "cpsat", inst, Options(time_limit=10))
    assert opt.status.value == "optimal" and opt.objective == 9
    # LFT (critical path 1 -> 5 -> 4 = 7): 1 and 2 tie at 3, 1 first takes both units in [0, 3);
    # at t=3 jobs 2, 3 and the milestone start; 4 (after 2 and 5) at 5; sink 9.
    assert list(H.parallel_sgs(inst, H.priority_values(inst, "lft"))) == [0, 0, 3, 3, 5, 3, 9]
    for name in [m for m, meth in prob.methods.items() if meth.kind == "heuristic"]:
        res = run_method(prob, name, inst, Options(time_limit=1))  # validated inside
        assert res.objective >= 9, name


def test_justification_never_worse_and_valid(psplib):
    for name in ["j301_1.sm", "j3013_1.sm", "j6010_3.sm"]:
        sub = "j30" if name.startswith("j30") else "j60"
        inst = R.read(psplib / sub / name)
        for rule in H.RULES:
            st = H.serial_sgs(inst, H.activity_list(inst, H.priority_values(inst, rule)))
            jt = H.justify(inst, st)
            assert R.evaluate(inst, R.RcpspSolution(tuple(int(x) for x in jt))).feasible
            assert (jt + inst.durations).max() <= (st + inst.durations).max()


def test_every_heuristic_is_valid_and_reports_a_bound(psplib):
    inst = R.read(psplib / "j30" / "j3029_3.sm")
    lb = R.lower_bound(inst)
    prob = get_problem("rcpsp")
    for name, m in prob.methods.items():
        if m.kind != "heuristic":
            continue
        res = run_method(prob, name, inst, Options(time_limit=2, params={"samples": 50} if name == "sampling" else {}))
        assert res.evaluation.feasible and res.bound == lb and res.gap is not None


def test_sampling_close_to_optimum_on_j30_sample(psplib):
    ref = read_bounds(psplib / "bounds" / "j30.csv")
    devs = []
    for p in sorted((psplib / "j30").glob("j30*_1.sm"))[:12]:
        res = run_method("rcpsp", "sampling", R.read(p), Options(params={"samples": 200}))
        devs.append(res.objective / int(ref[p.name]["upper_bound"]) - 1)
    assert min(devs) >= 0
    assert np.mean(devs) < 0.02  # regret-biased sampling + FBI: well under 2 % on j30


def test_sampling_is_deterministic_by_seed(psplib):
    inst = R.read(psplib / "j60" / "j6013_1.sm")
    a = run_method("rcpsp", "sampling", inst, Options(seed=4, params={"samples": 100}))
    b = run_method("rcpsp", "sampling", inst, Options(seed=4, params={"samples": 100}))
    assert a.solution == b.solution


def test_unknown_rule():
    with pytest.raises(ValueError, match="unknown priority rule"):
        H.priority_values(_tiny(), "xyz")


@pytest.mark.parametrize("alpha", [1e300, float("inf")])
def test_regret_bias_tends_to_the_priority_order_as_alpha_grows(alpha):
    """The draw weight (regret + 1)^alpha overflowed for a large alpha: the
    numba list then always took the last eligible activity, the extended
    instances' list raised "Probabilities contain NaN" (sampling --param
    alpha=1e9 on an instance with windows: a traceback). Relative weights
    keep the limit Kolisch & Hartmann's bias tends to: with distinct
    priorities, the deterministic priority list."""
    from schedcert.heuristics.rcpsp_ext import _list

    inst = R.generate(seed=3, jobs=30)
    prio = np.random.default_rng(0).permutation(inst.n).astype(float) * 50.0  # distinct, regrets up to 1 600
    order = list(H.activity_list(inst, prio))
    for s in range(5):
        H.seed(s)
        assert list(H.activity_list(inst, prio, biased=True, alpha=alpha)) == order
        assert _list(inst, prio, np.random.default_rng(s), alpha) == _list(inst, prio, None) == order
    ext = R.generate_any(seed=1, level=4, mix="all")
    res = run_method("rcpsp", "sampling", ext, Options(time_limit=2, params={"samples": 50, "alpha": alpha}))
    assert res.evaluation.feasible
