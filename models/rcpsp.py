"""RCPSP exact models: CP-SAT (intervals + cumulative) and a time-indexed MILP.

CP-SAT model (``cpsat``)
    One fixed-size interval per activity, one cumulative per renewable
    resource, ``S_j >= S_i + p_i`` per precedence, minimise the makespan
    ``C``. Strengthened by

    * a horizon from the best heuristic schedule (``C <= UB``) which is also
      given as a solution hint;
    * start windows ``ES_j <= S_j <= UB - q_j`` from the critical-path passes
      (``q_j`` = tail, :func:`~schedcert.instances.rcpsp.tails`);
    * ``C >= LB`` with LB = max(critical path, resource energy bound);
    * ``C >= S_j + q_j`` for every activity (tail constraints, linking each
      start directly to the objective);
    * pairwise minimum delays: for ``i`` before ``j`` in the transitive
      closure, the activities strictly between them must run inside
      ``[S_i + p_i, S_j)``, so ``S_j - S_i >= p_i + ceil(sum_a p_a r_ak / R_k)``
      for every resource k (an energetic reasoning bound in the spirit of the
      minimum-delay redundant constraints of the OR-Tools RCPSP example; added
      only where it exceeds the longest path).

Time-indexed MILP (``milp``, ``milp-cbc``)
    Pritsker, Watters & Wolfe (1969): ``x_jt = 1`` iff activity j starts at
    t, for ``t`` in its window; ``sum_t x_jt = 1``; aggregated precedences
    ``sum_t t x_jt >= sum_t t x_it + p_i``; resources
    ``sum_j r_jk sum_{tau=t-p_j+1..t} x_jtau <= R_k`` for every period t;
    minimise ``C >= sum_t (t + p_j) x_jt``. Written once in Pyomo, solved by
    HiGHS (``milp``) or by the CBC in PuLP's wheel (``milp-cbc``). Intended
    for small instances and as an independent cross-check of CP-SAT.
"""

from __future__ import annotations

import time

import networkx as nx
import pyomo.environ as pyo
from ortools.sat.python import cp_model

from schedcert.cpsat import solve_cpsat, solver_info
from schedcert.errors import InputError
from schedcert.instances.rcpsp import (
    RcpspInstance,
    RcpspSolution,
    earliest_starts,
    evaluate,
    lower_bound,
    tails,
    topological_order,
)
from schedcert.milp import register_pair, solve_pyomo
from schedcert.registry import method
from schedcert.result import Options, Result, Status, integral_min_result


def pairwise_delays(instance: RcpspInstance) -> dict[tuple[int, int], int]:
    """Energetic minimum start-to-start delays ``D_ij`` for ordered pairs.

    Returns only pairs where ``D_ij`` exceeds the longest-path distance, i.e.
    where the constraint ``S_j >= S_i + D_ij`` is not already implied by the
    precedences. See the module docstring for the derivation.
    """
    n = instance.n
    g = nx.DiGraph(list(instance.edges()))
    g.add_nodes_from(range(n))
    order = list(nx.topological_sort(g))
    p = instance.durations
    desc = {j: nx.descendants(g, j) for j in range(n)}
    # longest start-to-start distance L[i][j] along precedence paths
    delays: dict[tuple[int, int], int] = {}
    for i in range(n):
        if len(desc[i]) < 3:
            continue
        dist = {i: 0}
        for u in order:
            if u not in dist:
                continue
            for v in g.successors(u):
                d = dist[u] + p[u]
                if dist.get(v, -1) < d:
                    dist[v] = d
        for j in desc[i]:
            between = [a for a in desc[i] if j in desc[a]]
            if len(between) < 2:
                continue
            energy = 0
            for k, cap in enumerate(instance.capacities):
                if cap <= 0:
                    continue
                work = sum(p[a] * instance.demands[a][k] for a in between)
                energy = max(energy, -(-work // cap))
            d_ij = p[i] + energy
            if d_ij > dist[j]:
                delays[(i, j)] = d_ij
    return delays


def build_cpsat(instance: RcpspInstance, ub: int, lb: int, hint=None, use_delays: bool = True):
    """Build the CP-SAT model.

    Parameters
    ----------
    ub, lb : int
        Makespan bounds (time units); ``ub`` must be the makespan of a
        feasible schedule (e.g. ``hint``).
    hint : sequence of int, optional
        Start times to pass as a solution hint.

    Returns
    -------
    (model, starts, makespan) : CpModel, list of IntVar (n,), IntVar
    """
    m = cp_model.CpModel()
    n, p = instance.n, instance.durations
    es = earliest_starts(instance)
    q = tails(instance)
    starts = [m.new_int_var(es[j], max(es[j], ub - q[j]), f"S{j}") for j in range(n)]
    cmax = m.new_int_var(lb, ub, "Cmax")
    intervals = [m.new_fixed_size_interval_var(starts[j], p[j], f"I{j}") for j in range(n)]
    for i, j in instance.edges():
        m.add(starts[j] >= starts[i] + p[i])
    for j in range(n):
        m.add(cmax >= starts[j] + q[j])
    for k, cap in enumerate(instance.capacities):
        used = [j for j in range(n) if p[j] > 0 and instance.demands[j][k] > 0]
        if not used or sum(instance.demands[j][k] for j in used) <= cap:
            continue
        m.add_cumulative([intervals[j] for j in used], [instance.demands[j][k] for j in used], cap)
    if use_delays:
        for (i, j), d in pairwise_delays(instance).items():
            m.add(starts[j] >= starts[i] + d)
    m.minimize(cmax)
    if hint is not None:
        for j in range(n):
            m.add_hint(starts[j], int(hint[j]))
        m.add_hint(cmax, max(int(hint[j]) + p[j] for j in range(n)))
    return m, starts, cmax


def _warm(instance: RcpspInstance, options: Options):
    """Incumbent to start from: ``options.warm_start`` (validated; the core
    runner passes the problem's best heuristic there), else activities one
    after another in topological order (always feasible: demands <= capacity
    is checked on reading)."""
    if options.warm_start is not None:
        ev = evaluate(instance, options.warm_start)
        if ev.feasible:
            return list(options.warm_start.starts), "warm_start"
        raise InputError("warm start is not a feasible schedule: " + "; ".join(ev.violations[:3]))
    starts, t = [0] * instance.n, 0
    for j in topological_order(instance):
        starts[j] = t
        t += instance.durations[j]
    return starts, "sequential"


@method("rcpsp", "cpsat", "exact",
        "CP-SAT (intervals + cumulative), warm-started by the sampling heuristic; params: delays (1)")
def solve_cpsat_rcpsp(instance: RcpspInstance, options: Options) -> Result:
    """Minimise the makespan with CP-SAT (see module docstring).

    Returns the heuristic schedule if CP-SAT does not improve on it; the bound
    is the best of LB and CP-SAT's proven objective bound.
    """
    t0 = time.perf_counter()
    lb, hint, ub, info = _incumbent(instance, options)
    if ub <= lb:
        return _conclude(instance, lb, hint, None, True, solver_info({}), info)
    use_delays = bool(int(options.params.get("delays", 1)))
    model, starts, _ = build_cpsat(instance, ub, lb, hint, use_delays)
    info["build_time"] = round(time.perf_counter() - t0, 3)
    remaining = None if options.time_limit is None else options.time_limit - (time.perf_counter() - t0)
    out = solve_cpsat(model, options, remaining)
    info.update(out.info)
    if out.status == Status.INFEASIBLE:  # C <= UB is satisfied by the hint: cannot happen
        raise RuntimeError("CP-SAT claims no schedule of makespan <= the heuristic's: model defect")
    sched = [out.solver.value(s) for s in starts] if out.has_solution and out.objective < ub else hint
    return _conclude(instance, lb, sched, out.bound, out.status == Status.OPTIMAL,
                     solver_info(out.info["solver_params"]), info)


def _incumbent(instance: RcpspInstance, options: Options):
    """(lb, incumbent starts, its makespan ub, info) shared by both models."""
    lb = lower_bound(instance)
    hint, origin = _warm(instance, options)
    ub = max(int(hint[j]) + instance.durations[j] for j in range(instance.n))
    return lb, hint, ub, {"warm_start": origin, "warm_makespan": ub, "lb0": lb}


def _conclude(instance, lb, sched, solver_bound, proven, solver, info) -> Result:
    """Result for schedule `sched`; its bound is the makespan when the solver
    proved optimality, else max(lb, ceil(solver_bound))."""
    sol = RcpspSolution(tuple(int(s) for s in sched))
    return integral_min_result("rcpsp", instance.name, sol, sol.makespan(instance), lb, solver_bound, proven,
                               solver, info)


def build_milp(instance: RcpspInstance, ub: int, lb: int) -> pyo.ConcreteModel:
    """Time-indexed Pyomo model (Pritsker et al. 1969) with periods
    ``0..ub-1``; see module docstring. Variables ``x[j, t]`` and ``C``."""
    n, p = instance.n, instance.durations
    es = earliest_starts(instance)
    q = tails(instance)
    win = {j: range(es[j], max(es[j], ub - q[j]) + 1) for j in range(n)}
    m = pyo.ConcreteModel(name=f"rcpsp-ti-{instance.name}")
    m.idx = pyo.Set(initialize=[(j, t) for j in range(n) for t in win[j]], dimen=2)
    m.x = pyo.Var(m.idx, domain=pyo.Binary)
    m.C = pyo.Var(bounds=(lb, ub))
    m.one = pyo.Constraint(range(n), rule=lambda m, j: sum(m.x[j, t] for t in win[j]) == 1)

    def start(j):
        return sum(t * m.x[j, t] for t in win[j])

    m.prec = pyo.Constraint(list(instance.edges()), rule=lambda m, i, j: start(j) >= start(i) + p[i])
    m.cmax = pyo.Constraint(range(n), rule=lambda m, j: m.C >= start(j) + p[j])
    rows = []
    for k, cap in enumerate(instance.capacities):
        users = [j for j in range(n) if p[j] > 0 and instance.demands[j][k] > 0]
        if sum(instance.demands[j][k] for j in users) <= cap:
            continue
        for t in range(ub):
            terms = [(instance.demands[j][k], j, tau) for j in users
                     for tau in range(max(t - p[j] + 1, win[j].start), min(t, win[j].stop - 1) + 1)]
            if sum(r for r, _, _ in terms) > cap:
                rows.append((cap, terms))
    m.res = pyo.ConstraintList()
    for cap, terms in rows:
        m.res.add(sum(r * m.x[j, tau] for r, j, tau in terms) <= cap)
    m.obj = pyo.Objective(expr=m.C, sense=pyo.minimize)
    m._win = win
    return m


def _solve_milp(instance: RcpspInstance, options: Options, solver: str) -> Result:
    t0 = time.perf_counter()
    lb, hint, ub, info = _incumbent(instance, options)
    if ub <= lb:
        return _conclude(instance, lb, hint, None, True, {"name": solver, "version": "", "params": {}}, info)
    m = build_milp(instance, ub, lb)
    info["variables"] = len(m.idx)
    remaining = None if options.time_limit is None else options.time_limit - (time.perf_counter() - t0)
    out = solve_pyomo(m, options, remaining, solver)
    improved = _milp_starts(m, instance.n) if out.has_solution and out.objective < ub - 0.5 else None
    sched = improved or hint
    # optimal proves `sched` when the solver's optimum is the schedule we return
    proven = out.status == Status.OPTIMAL and (improved is not None or out.objective >= ub - 0.5)
    return _conclude(instance, lb, sched, out.bound, proven, out.solver, info)


def _milp_starts(m, n):
    """Start times from an integral incumbent, or None (a solver may report a
    fractional point on time-out)."""
    starts = []
    for j in range(n):
        t = next((t for t in m._win[j] if (pyo.value(m.x[j, t], exception=False) or 0) > 0.5), None)
        if t is None:
            return None
        starts.append(t)
    return starts


register_pair("rcpsp", "milp", "time-indexed MILP (Pritsker 1969) in Pyomo; small instances", _solve_milp)
