"""Exact models for DAG scheduling on heterogeneous processors.

CP-SAT (``cpsat``)
    Start ``S_i`` and end ``E_i`` per task; per allowed processor ``a`` a
    presence literal ``x_ia`` and an optional fixed-size interval
    ``[S_i, S_i + w_ia)``; ``sum_a x_ia = 1``; ``x_ia => E_i = S_i + w_ia``;
    no-overlap per processor; per edge ``S_j >= E_i`` always and

    * uniform links: ``x_ia and not x_ja => S_j >= E_i + c_ij`` for every a
      (the delay applies exactly when the two tasks are on different
      processors);
    * otherwise ``x_ia and x_jb => S_j >= E_i + c_ij(a, b)`` for every a != b.

    Redundant: the load of every processor ``sum_i w_ia x_ia <= C`` (its LP
    relaxation is the classic unrelated-machines bound), and one cumulative
    of capacity q over the intervals
    ``[S_i, S_i + min_a w_ia)`` (every task occupies *some* processor at least
    that long from its start), which gives CP-SAT energetic reasoning across
    processors; ``--param cumulative=0`` leaves both out, ``--param load=0``
    only the loads. Measured on the random v30 grid (60 s, 2 workers): the
    loads are what makes q = 2 instances fast (0.2–1.2 s with them; without
    them 11 of the first 29 instances time out), but on
    dag-v30-q3-ccr0.1-a1-b0.5-s4 they slow the proof down (15–23 s without,
    35 s to over 60 s with them).
    Search: with 2 or 3 workers CP-SAT runs only one full-problem subsolver
    (``default_lp``) beside its LNS workers, and that one alone raises the
    lower bound slowly on q >= 3; the model then asks for two full
    subsolvers, ``default_lp`` and ``objective_lb_search`` (which probes
    ``C <= lb`` and lifts the bound step by step). ``--param lbsearch=0``
    keeps CP-SAT's own choice. Measured on the six slowest random v30
    instances (60 s, 2 workers, seed 0 / 1): slowest proof 33.7 s with it,
    44.9 s and one timeout without; e.g. dag-v30-q3-ccr0.1-a1-b0.5-s4 25.0 /
    33.7 s instead of 44.9 s / unproven.
    Makespan ``C >= E_i``; ``LB <= C <= UB`` with LB from
    :func:`~schedcert.instances.dag.lower_bound` and UB, plus the hint, from
    the best list schedule (HEFT/CPOP/PEFT) that the core runner passes as
    the warm start. Heads and tails on the fastest processors (no
    communication) give each task a start window.

MILP (``milp``, ``milp-cbc``)
    Assignment ``x_ia``, continuous ``S_i``; big-M with ``M = UB``:
    precedence ``S_j >= S_i + sum_a w_ia x_ia + c_ij(a, b) (x_ia + x_jb - 1)``
    for a != b; for every pair of tasks not ordered by the precedence
    closure a binary order ``y_ij`` and, on every processor both can use,
    ``S_j >= E_i - M (3 - y_ij - x_ia - x_ja)`` and
    ``S_i >= E_j - M (2 + y_ij - x_ia - x_ja)``. Written once in Pyomo,
    solved by HiGHS or CBC; an independent cross-check for small instances.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import networkx as nx
from ortools.sat.python import cp_model

from schedcert.cpsat import solve_cpsat, solver_info
from schedcert.errors import InputError
from schedcert.instances.dag import DagInstance, DagSolution, evaluate, lower_bound
from schedcert.milp import not_run, register_pair, solve_pyomo, too_large
from schedcert.params import CPSAT, FLAG
from schedcert.registry import method
from schedcert.result import Options, Result, Status, integral_min_result

if TYPE_CHECKING:  # annotations only; Pyomo is imported where a model is built
    import pyomo.environ as pyo


def heads_tails(inst: DagInstance) -> tuple[list[int], list[int]]:
    """Per task: head (longest path of fastest costs before it) and tail
    (fastest cost of the task plus the longest path after it); no
    communication, so both are valid for every schedule."""
    best = [min(c for c in row if c is not None) for row in inst.costs]
    head, tail = [0] * inst.n, [0] * inst.n
    for i in inst.topo:
        for j, _ in inst.succs[i]:
            head[j] = max(head[j], head[i] + best[i])
    for i in reversed(inst.topo):
        tail[i] = best[i] + max((tail[j] for j, _ in inst.succs[i]), default=0)
    return head, tail


def build_cpsat(inst: DagInstance, ub: int, lb: int, hint: DagSolution | None = None, redundant: bool = True,
                load: bool | None = None):
    """The CP-SAT model of the module docstring (``redundant``: add the
    redundant cumulative, and the processor loads unless ``load`` is
    False).

    Returns (model, starts (n,), presence {(i, a): BoolVar}, makespan var).
    """
    m = cp_model.CpModel()
    head, tail = heads_tails(inst)
    starts, ends, x = [], [], {}
    per_proc = [[] for _ in range(inst.q)]
    for i in range(inst.n):
        lo, hi = head[i], max(head[i], ub - tail[i])
        s = m.new_int_var(lo, hi, f"S{i}")
        e = m.new_int_var(lo, ub, f"E{i}")
        lits = []
        for a in inst.allowed(i):
            w = inst.costs[i][a]
            lit = m.new_bool_var(f"x{i}_{a}")
            iv = m.new_optional_fixed_size_interval_var(s, w, lit, f"I{i}_{a}")
            m.add(e == s + w).only_enforce_if(lit)
            per_proc[a].append(iv)
            x[i, a] = lit
            lits.append(lit)
        m.add_exactly_one(lits)
        starts.append(s)
        ends.append(e)
    for ivs in per_proc:
        if len(ivs) > 1:
            m.add_no_overlap(ivs)
    if redundant and inst.q > 1:
        best = [min(c for c in row if c is not None) for row in inst.costs]
        m.add_cumulative([m.new_fixed_size_interval_var(starts[i], best[i], f"R{i}") for i in range(inst.n)],
                         [1] * inst.n, inst.q)
    for i, j, d in inst.edges:
        m.add(starts[j] >= ends[i])
        if inst.uniform_links:
            c = inst.comm(d, 0, 1) if inst.q > 1 else 0
            if c > 0:
                for a in inst.allowed(i):
                    lits = [x[i, a]] + ([x[j, a].Not()] if (j, a) in x else [])
                    m.add(starts[j] >= ends[i] + c).only_enforce_if(lits)
        else:
            for a in inst.allowed(i):
                for b in inst.allowed(j):
                    c = inst.comm(d, a, b)
                    if a != b and c > 0:
                        m.add(starts[j] >= ends[i] + c).only_enforce_if([x[i, a], x[j, b]])
    cmax = m.new_int_var(lb, ub, "Cmax")
    for i in range(inst.n):
        if not inst.succs[i]:
            m.add(cmax >= ends[i])
    if redundant if load is None else load:
        for a in range(inst.q):
            m.add(sum(inst.costs[i][a] * x[i, a] for i in range(inst.n) if (i, a) in x) <= cmax)
    m.minimize(cmax)
    if hint is not None:
        for i in range(inst.n):
            m.add_hint(starts[i], hint.starts[i])
            m.add_hint(ends[i], hint.finish(inst, i))
            for a in inst.allowed(i):
                m.add_hint(x[i, a], int(hint.procs[i] == a))
        m.add_hint(cmax, hint.makespan(inst))
    return m, starts, x, cmax


def semi_active(inst: DagInstance, procs, order, one_at_a_time: bool = False) -> DagSolution:
    """Tasks on processors `procs` (n,), taken in `order` (a topological
    order), each started as early as its processor (or, with
    `one_at_a_time`, the previous task) and its predecessors' data allow.
    Feasible by construction."""
    free, st, fin, t = [0] * inst.q, [0] * inst.n, [0] * inst.n, 0
    for i in order:
        a = procs[i]
        ready = max((fin[p] + inst.comm(inst.edges[e][2], procs[p], a) for p, e in inst.preds[i]), default=0)
        st[i] = max(ready, t if one_at_a_time else free[a])
        fin[i] = free[a] = t = st[i] + inst.costs[i][a]
    return DagSolution(tuple(procs), tuple(st))


def sequential_schedule(inst: DagInstance) -> DagSolution:
    """One task at a time in topological order, each on its fastest allowed
    processor: always feasible, used only when no warm start is given."""
    procs = [min(inst.allowed(i), key=lambda b: (inst.costs[i][b], b)) for i in range(inst.n)]
    return semi_active(inst, procs, inst.topo, one_at_a_time=True)


def _incumbent(inst: DagInstance, options: Options):
    """(lb, incumbent solution, its makespan, info): the warm start passed by
    the core runner (validated), else :func:`sequential_schedule` — and that
    one too when it is shorter than the warm start, so a schedule with idle
    time of any length (a start of 10^400 is feasible) never becomes the
    model's horizon."""
    lb = lower_bound(inst)
    sol, origin = sequential_schedule(inst), "sequential"
    if options.warm_start is not None:
        ev = evaluate(inst, options.warm_start)
        if not ev.feasible:
            raise InputError("warm start is not a feasible schedule: " + "; ".join(ev.violations[:3]))
        if options.warm_start.makespan(inst) <= sol.makespan(inst):
            sol, origin = options.warm_start, "warm_start"
        else:
            origin = "sequential (shorter than the warm start)"
    ub = sol.makespan(inst)
    return lb, sol, ub, {"warm_start": origin, "warm_makespan": ub, "lb0": lb}


def _conclude(inst, lb, sol, solver_bound, proven, solver, info) -> Result:
    """Result for `sol` with the certified bound (:func:`integral_min_bound`)."""
    return integral_min_result("dag", inst.name, sol, sol.makespan(inst), lb, solver_bound, proven, solver, info)


@method("dag", "cpsat", "exact",
        "CP-SAT (optional intervals per processor), warm-started by the list schedulers; params: cumulative (1), "
        "load (= cumulative), lbsearch (1)", params={"cumulative": FLAG, "load": FLAG, "lbsearch": FLAG, CPSAT: None})
def solve_cpsat_dag(inst: DagInstance, options: Options) -> Result:
    """Minimise the makespan with CP-SAT (module docstring)."""
    t0 = time.perf_counter()
    lb, hint, ub, info = _incumbent(inst, options)
    if ub <= lb:
        return _conclude(inst, lb, hint, None, True, solver_info({}), info)
    redundant = bool(int(options.params.get("cumulative", 1)))
    load = bool(int(options.params.get("load", int(redundant))))
    model, starts, x, _ = build_cpsat(inst, ub, lb, hint, redundant, load)
    remaining = None if options.time_limit is None else options.time_limit - (time.perf_counter() - t0)
    extra = {}
    if 2 <= options.workers <= 3 and int(options.params.get("lbsearch", 1)):
        extra = {"subsolvers": ["default_lp", "objective_lb_search"], "num_full_subsolvers": 2}
    out = solve_cpsat(model, options, remaining, extra)
    info.update(out.info)
    if out.status == Status.INFEASIBLE:
        raise RuntimeError("CP-SAT claims no schedule within the heuristic's makespan: model defect")
    sol = hint
    if out.has_solution and out.objective < ub:
        v = out.solver.value
        sol = DagSolution(tuple(next(a for a in inst.allowed(i) if v(x[i, a])) for i in range(inst.n)),
                          tuple(v(s) for s in starts))
    return _conclude(inst, lb, sol, out.bound, out.status == Status.OPTIMAL,
                     solver_info(out.info["solver_params"]), info)


def unordered_pairs(inst: DagInstance) -> list:
    """Task pairs (i < j) that no path orders: the pairs the MILP sequences."""
    g = nx.DiGraph([(i, j) for i, j, _ in inst.edges])
    g.add_nodes_from(range(inst.n))
    closure = nx.transitive_closure_dag(g)
    return [(i, j) for i in range(inst.n) for j in range(i + 1, inst.n)
            if not closure.has_edge(i, j) and not closure.has_edge(j, i)]


def milp_terms(inst: DagInstance, pairs: list) -> int:
    """About how many nonzeros :func:`build_milp` writes: 5 per sequencing
    row (two per pair and shared processor), 6 per communication row (one
    per edge and processor pair), the assignment and makespan rows."""
    alloc = [set(inst.allowed(i)) for i in range(inst.n)]
    seq = sum(2 * len(alloc[i] & alloc[j]) for i, j in pairs)
    comm = sum(len(alloc[i]) * len(alloc[j]) for i, j, _ in inst.edges)
    return 5 * seq + 6 * comm + 3 * sum(len(a) for a in alloc)


def build_milp(inst: DagInstance, ub: int, lb: int, pairs: list | None = None) -> pyo.ConcreteModel:
    """The Pyomo MILP of the module docstring (variables ``x[i, a]``,
    ``S[i]``, ``y[i, j]``, ``C``); `pairs`: :func:`unordered_pairs`, when
    already known."""
    import pyomo.environ as pyo  # loaded on first use: heuristics need no Pyomo

    head, tail = heads_tails(inst)
    m = pyo.ConcreteModel(name=f"dag-{inst.name}")
    m.A = pyo.Set(initialize=[(i, a) for i in range(inst.n) for a in inst.allowed(i)], dimen=2)
    m.x = pyo.Var(m.A, domain=pyo.Binary)
    m.S = pyo.Var(range(inst.n), bounds=lambda m, i: (head[i], max(head[i], ub - tail[i])))
    m.C = pyo.Var(bounds=(lb, ub))

    def dur(i):
        return sum(inst.costs[i][a] * m.x[i, a] for a in inst.allowed(i))

    m.one = pyo.Constraint(range(inst.n), rule=lambda m, i: sum(m.x[i, a] for a in inst.allowed(i)) == 1)
    m.cmax = pyo.Constraint(range(inst.n), rule=lambda m, i: m.C >= m.S[i] + dur(i))
    m.prec = pyo.ConstraintList()
    for i, j, d in inst.edges:
        m.prec.add(m.S[j] >= m.S[i] + dur(i))
        for a in inst.allowed(i):
            for b in inst.allowed(j):
                c = inst.comm(d, a, b)
                if a != b and c > 0:
                    m.prec.add(m.S[j] >= m.S[i] + dur(i) + c * (m.x[i, a] + m.x[j, b] - 1))
    pairs = unordered_pairs(inst) if pairs is None else pairs
    m.y = pyo.Var(pairs, domain=pyo.Binary)
    m.seq = pyo.ConstraintList()
    big = ub
    for i, j in pairs:
        for a in set(inst.allowed(i)) & set(inst.allowed(j)):
            m.seq.add(m.S[j] >= m.S[i] + inst.costs[i][a] - big * (3 - m.y[i, j] - m.x[i, a] - m.x[j, a]))
            m.seq.add(m.S[i] >= m.S[j] + inst.costs[j][a] - big * (2 + m.y[i, j] - m.x[i, a] - m.x[j, a]))
    m.obj = pyo.Objective(expr=m.C, sense=pyo.minimize)
    return m


def _solve_milp(inst: DagInstance, options: Options, solver: str) -> Result:
    t0 = time.perf_counter()
    lb, hint, ub, info = _incumbent(inst, options)
    if ub <= lb:
        return _conclude(inst, lb, hint, None, True, not_run(solver), info)
    pairs = unordered_pairs(inst)
    why = too_large(milp_terms(inst, pairs), options.time_limit)
    if why is not None:
        return _conclude(inst, lb, hint, None, False, not_run(solver), {**info, "note": why})
    m = build_milp(inst, ub, lb, pairs)
    remaining = None if options.time_limit is None else options.time_limit - (time.perf_counter() - t0)
    out = solve_pyomo(m, options, remaining, solver)
    sol = hint
    if out.has_solution and out.objective < ub - 0.5:
        sol = _milp_solution(inst, m) or hint
    proven = out.status == Status.OPTIMAL and (sol is not hint or out.objective >= ub - 0.5)
    return _conclude(inst, lb, sol, out.bound, proven, out.solver, info)


def _milp_solution(inst, m):
    """Processors from x and semi-active integer starts: tasks in order of
    the MILP's start times, each as early as its processor and data allow
    (never later than the MILP's own schedule, so the makespan is kept)."""
    import pyomo.environ as pyo  # loaded on first use: heuristics need no Pyomo

    procs = []
    for i in range(inst.n):
        a = next((a for a in inst.allowed(i) if (pyo.value(m.x[i, a], exception=False) or 0) > 0.5), None)
        if a is None:
            return None
        procs.append(a)
    pos = {i: k for k, i in enumerate(inst.topo)}
    return semi_active(inst, procs, sorted(range(inst.n), key=lambda i: (round(pyo.value(m.S[i]), 6), pos[i])))


register_pair("dag", "milp", "big-M MILP in Pyomo; small instances (cross-check)", _solve_milp)
