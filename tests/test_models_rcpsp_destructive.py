"""Destructive RCPSP bound: energetic reasoning, shaving, LP with time windows.

Soundness is checked against schedules the tests find independently: no
start time of a schedule ending by T may leave the shaved windows, and a
known optimum is never refuted. Strength: j3029_3's optimum minus one (77)
is refuted, which CP-SAT alone does not prove within 10 s.
"""

import time
from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from schedcert.errors import InputError
from schedcert.instances import rcpsp as R
from schedcert.models.rcpsp_destructive import (
    Windows,
    _shave,
    compatible_sets,
    lp_feasible,
    refute_makespan,
    shave_windows,
)
from schedcert.registry import run_method
from schedcert.result import Options, Status

from conftest import read_bounds


def _brute_force_sets(inst):
    """Maximal compatible sets by trying every subset (small instances)."""
    import networkx as nx

    g = nx.DiGraph(list(inst.edges()))
    g.add_nodes_from(range(inst.n))
    acts = [j for j in range(inst.n) if inst.durations[j] > 0]
    related = {j: nx.ancestors(g, j) | nx.descendants(g, j) for j in acts}

    def ok(sub):
        return (all(b not in related[a] for a, b in combinations(sub, 2))
                and all(sum(inst.demands[j][k] for j in sub) <= inst.capacities[k] for k in range(inst.n_resources)))

    good = [frozenset(sub) for size in range(1, len(acts) + 1) for sub in combinations(acts, size) if ok(sub)]
    return {s for s in good if not any(s < t for t in good)}


@pytest.mark.parametrize("seed", range(3))
def test_compatible_sets_match_brute_force(seed):
    inst = R.generate(seed=seed, jobs=9, resources=2, complexity=1.2, resource_strength=0.3)
    sets = compatible_sets(inst)
    as_sets = {frozenset(j for j in range(inst.n) if m >> j & 1) for m in sets}
    assert len(as_sets) == len(sets)
    assert as_sets == _brute_force_sets(inst)
    assert compatible_sets(inst, limit=1) is None  # more than one maximal set: gives up


def test_lp_relaxation_by_hand():
    """Two activities of 2 time units that cannot overlap (demand 2 + 2 on
    capacity 3) need 4 units: the LP refutes windows ending by 3, not 4."""
    inst = R.RcpspInstance(name="pair", durations=(0, 2, 2, 0), demands=((0,), (2,), (2,), (0,)),
                           capacities=(3,), successors=((1, 2), (3,), (3,), ()))
    sets = compatible_sets(inst)
    assert sorted(sets) == [0b0010, 0b0100]
    p = np.array(inst.durations)
    assert not lp_feasible(p, np.array([0, 0, 0, 3]), np.array([0, 1, 1, 3]), sets)
    assert lp_feasible(p, np.array([0, 0, 0, 4]), np.array([0, 2, 2, 4]), sets)
    assert refute_makespan(inst, 3) is True and refute_makespan(inst, 4) is False


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), strength=st.sampled_from([0.1, 0.3, 0.5]))
def test_windows_keep_every_optimal_schedule(seed, strength):
    """CP-SAT's optimal schedule (no heuristic, no refutation) must stay in
    the shaved windows at its own makespan and one later, and the optimum is
    never refuted."""
    inst = R.generate(seed=seed, jobs=10, resources=2, resource_strength=strength)
    res = run_method("rcpsp", "cpsat", inst, Options(time_limit=30, workers=1, params={"warm": "0", "refute": "0"}))
    assert res.status == Status.OPTIMAL
    starts = np.array(res.solution.starts)
    for T in (res.objective, res.objective + 1):
        windows = shave_windows(inst, T, compatible_sets(inst))
        assert windows is not None, f"makespan {T} refuted, but a schedule of makespan {res.objective} exists"
        es, ls = windows
        assert np.all(es <= starts) and np.all(starts <= ls)


def test_propagation_keeps_a_known_optimal_schedule(psplib):
    """Precedence + energetic reasoning at T = optimum keep the optimal
    schedule CP-SAT proves for j3013_1."""
    inst = R.read(psplib / "j30" / "j3013_1.sm")
    res = run_method("rcpsp", "cpsat", inst, Options(time_limit=30, workers=2, params={"refute": "0"}))
    assert res.status == Status.OPTIMAL
    es = np.array(R.earliest_starts(inst), dtype=np.int64)
    ls = np.array([res.objective - q for q in R.tails(inst)], dtype=np.int64)
    assert Windows(inst).propagate(es, ls)
    s = np.array(res.solution.starts)
    assert np.all(es <= s) and np.all(s <= ls)


@pytest.mark.parametrize("name", ["j3029_3.sm", "j3013_2.sm", "j3045_2.sm", "j301_1.sm"])
def test_known_optima_are_not_refuted(psplib, name):
    ref = read_bounds(psplib / "bounds" / "j30.csv")[name]
    assert ref["optimal"] == "yes"
    assert refute_makespan(R.read(psplib / "j30" / name), int(ref["upper_bound"])) is False


def test_j3029_3_optimum_minus_one_is_refuted(psplib):
    """77 < 78 = optimum; CP-SAT's own bound stays at 66 after 20 s."""
    inst = R.read(psplib / "j30" / "j3029_3.sm")
    assert refute_makespan(inst, 77) is True
    assert refute_makespan(inst, 77, seconds=0.0) is None  # out of time before the first test


def test_cpsat_proves_j3029_3_with_the_refutation(psplib):
    """The refutation needs 3-5 s of CPU here; its budget is wall-clock, so
    it gets 20 s (not the default 6 s) to pass on a loaded machine too."""
    inst = R.read(psplib / "j30" / "j3029_3.sm")
    res = run_method("rcpsp", "cpsat", inst, Options(time_limit=40, workers=2, params={"refute": 20}))
    assert res.status == Status.OPTIMAL
    assert res.objective == res.bound == 78
    assert res.evaluation.feasible
    assert res.info["refute"]["makespan"] == 77
    assert res.info["refute"]["refuted"] is True  # CP-SAT alone needs ~10 s from 78, the refutation 3-5 s


def test_an_lp_round_that_falls_behind_stops_after_a_third():
    """MIN_PACE: a round whose tests never refute anything shrinks nothing,
    so it stops after the first third of the activities (one test per side
    each) instead of testing all of them."""
    inst = R.generate(seed=3, jobs=12, resources=2)
    m = sum(1 for d in inst.durations if d > 0)
    calls = []

    def never_refuted(e, l):
        calls.append(1)
        return True

    for pace, expected in ((0.0, 2 * m), (0.1, 2 * -(-m // 3))):
        calls.clear()
        es = np.array(R.earliest_starts(inst), dtype=np.int64)
        ls = np.array([2 * sum(inst.durations) - q for q in R.tails(inst)], dtype=np.int64)
        assert _shave(Windows(inst), es, ls, never_refuted, pace) is True
        assert len(calls) == expected


def test_a_large_lp_stops_at_the_deadline(psplib):
    """j6030_7 has 42 325 maximal sets; one LP at its optimum - 1 takes
    about 4 s on the energetic windows. A deadline 0.5 s away must stop
    it (without the deadline inside the LP, the LP rounds once ran 31 min
    past a 240 s budget)."""
    inst = R.read(psplib / "j60" / "j6030_7.sm")
    sets = compatible_sets(inst, limit=100_000)
    assert len(sets) == 42_325
    es, ls = shave_windows(inst, 85, None)  # tests 1 + 2 only
    with pytest.raises(TimeoutError):
        lp_feasible(Windows(inst).p, es, ls, sets, deadline=time.perf_counter() + 0.5)


@pytest.mark.parametrize("value", ["-2", "never"])
def test_refute_rejects_bad_values(value):
    inst = R.generate(seed=1, jobs=6, resources=1)
    with pytest.raises(InputError, match="--param refute: expected seconds >= 0"):
        run_method("rcpsp", "cpsat", inst, Options(time_limit=5, workers=2, params={"refute": value}))


def test_fixed_windows_end_the_shaving():
    """A chain at its critical path leaves every window one start wide: the
    LP rounds must stop (they once looped forever when no width was left)."""
    inst = R.RcpspInstance(name="chain", durations=(0, 2, 3, 0), demands=((0,), (1,), (1,), (0,)),
                           capacities=(1,), successors=((1,), (2,), (3,), ()))
    es, ls = shave_windows(inst, 5, compatible_sets(inst), deadline=None)
    assert list(es) == list(ls) == [0, 0, 2, 5]
    assert refute_makespan(inst, 4) is True
