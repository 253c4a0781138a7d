"""Exact DAG models: the canonical optimum, and CP-SAT vs MILP vs brute force."""

from __future__ import annotations

import random

import pytest

from schedcert.instances.dag import generate
from schedcert.instances.dag_formats import read
from schedcert.registry import run_method
from schedcert.result import Options, Status

from dag_helpers import brute_force_makespan, peft_paper_graph, tiny


@pytest.mark.parametrize("lbsearch", ["1", "0"])
def test_canonical_optimum_73(topcuoglu, lbsearch):
    r = run_method("dag", "cpsat", read(topcuoglu), Options(time_limit=30, workers=2, params={"lbsearch": lbsearch}))
    assert r.status == Status.OPTIMAL and r.objective == 73 and r.bound == 73
    subsolvers = r.solver["params"].get("subsolvers")
    assert subsolvers == (["default_lp", "objective_lb_search"] if lbsearch == "1" else None)


@pytest.mark.parametrize("seed", range(4))
def test_exact_methods_agree_with_brute_force(seed):
    inst = generate(seed=seed, tasks=6, processors=2, ccr=2.0, beta=1.5)
    want = brute_force_makespan(inst)
    for m in ("cpsat", "milp"):
        r = run_method("dag", m, inst, Options(time_limit=30, workers=2))
        assert r.status == Status.OPTIMAL and r.objective == want, m


def test_non_uniform_links_cpsat_vs_brute_force():
    rng = random.Random(3)
    for _ in range(3):
        costs = [[rng.choice([None, rng.randint(1, 9)]) if a == 2 else rng.randint(1, 9) for a in range(3)]
                 for _ in range(5)]
        edges = [(0, 1, 6), (0, 2, 9), (1, 3, 3), (2, 3, 8), (2, 4, 2)]
        inst = tiny(costs, edges, bandwidth=((0, 3, 1), (3, 0, 2), (1, 2, 0)), latency=1)
        r = run_method("dag", "cpsat", inst, Options(time_limit=30, workers=2, params={"warm": "0"}))
        assert r.status == Status.OPTIMAL and r.objective == brute_force_makespan(inst)


def test_optimum_113_on_the_peft_papers_graph():
    """CP-SAT and the MILP agree on the optimum of the PEFT paper's graph,
    where PEFT gives 122 and HEFT 133 (test_heuristics_dag)."""
    inst = peft_paper_graph()
    for m in ("cpsat", "milp"):
        r = run_method("dag", m, inst, Options(time_limit=60, workers=2))
        assert r.status == Status.OPTIMAL and r.objective == r.bound == 113, m


def test_milp_cbc_agrees():
    inst = generate(seed=9, tasks=7, processors=2, ccr=1.0)
    a = run_method("dag", "cpsat", inst, Options(time_limit=30, workers=2))
    b = run_method("dag", "milp-cbc", inst, Options(time_limit=60, workers=1))
    assert a.objective == b.objective and b.status == Status.OPTIMAL


def test_cpsat_without_warm_start_from_sequential_incumbent():
    """With warm=0 the model starts from the sequential schedule (tasks one
    at a time, some processors forbidden) and still reaches the optimum."""
    inst = tiny([[4, None, 2], [3, 5, None], [None, 2, 6], [2, 2, 2]], [(0, 1, 3), (0, 2, 1), (1, 3, 2), (2, 3, 4)])
    r = run_method("dag", "cpsat", inst, Options(time_limit=30, workers=2, params={"warm": "0"}))
    assert r.info["warm_start"] == "sequential" and r.status == Status.OPTIMAL
    assert r.objective == brute_force_makespan(inst)


@pytest.mark.parametrize("method", ["cpsat", "milp"])
def test_a_warm_start_longer_than_the_sequential_schedule_is_not_the_horizon(method):
    """With communication ten times the computation, the list schedulers'
    best (695) is longer than running every task on its fastest processor
    one after another (660): the model's horizon is the shorter one, and
    the result says so rather than naming the warm start's heuristic."""
    inst = generate(seed=32, tasks=10, processors=3, ccr=10)
    r = run_method("dag", method, inst, Options(time_limit=20, workers=2))
    assert r.info["warm_objective"] == 695 and r.info["warm_makespan"] == 660
    assert r.info["warm_start"] == "sequential (shorter than the warm start)"
    assert r.status == Status.OPTIMAL and r.objective == 140
