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

    Solved with two complete no-LP search threads for small instances
    (:func:`portfolio_params`), after :data:`IMPROVE_SECONDS` of CP-SAT's
    own portfolio that improves the warm start (:func:`improve_seconds`).
    Beside that proof search a thread tries to refute "makespan <= UB - 1"
    by energetic reasoning, shaving and the Brucker-Knust LP
    (:mod:`schedcert.models.rcpsp_destructive`, :func:`refute_seconds`).
    ``proof=descent`` (:func:`proof_mode`) replaces the minimisation by
    decision problems "makespan <= UB - 1"; measured on j60, not the default.

    With R-ConstraintBench extensions (see :func:`build_cpsat`): windows
    as start domains, calendars as blocking intervals, disjunctive pairs as
    no-overlaps, lags as linear constraints; ``objective=feasibility`` drops
    the objective; a proof of infeasibility comes with a conflict
    (:mod:`schedcert.models.rcpsp_explain`).

Time-indexed MILP (``milp``, ``milp-cbc``)
    Pritsker, Watters & Wolfe (1969): ``x_jt = 1`` iff activity j starts at
    t, for ``t`` in its window; ``sum_t x_jt = 1``; aggregated precedences
    ``sum_t t x_jt >= sum_t t x_it + p_i``; resources
    ``sum_j r_jk sum_{tau=t-p_j+1..t} x_jtau <= R_k`` for every period t;
    minimise ``C >= sum_t (t + p_j) x_jt``. Written once in Pyomo, solved by
    HiGHS (``milp``) or by CBC (``milp-cbc``, see ``schedcert.milp``). Intended
    for small instances and as an independent cross-check of CP-SAT.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from typing import TYPE_CHECKING

import networkx as nx
from ortools.sat.python import cp_model

from schedcert.cpsat import solve_cpsat, solver_info
from schedcert.errors import InputError
from schedcert.instances.rcpsp import (
    MAX_HORIZON,
    RcpspInstance,
    RcpspSolution,
    earliest_starts,
    evaluate,
    latest_starts,
    lower_bound,
    planning_horizon,
    tails,
    topological_order,
)
from schedcert.milp import not_run, register_pair, solve_pyomo, too_large
from schedcert.models.rcpsp_destructive import Refuter
from schedcert.params import CPSAT, FLAG, SECONDS, choice
from schedcert.registry import method
from schedcert.result import Options, Result, Status, integral_min_result

if TYPE_CHECKING:  # annotations only; Pyomo is imported where a model is built
    import pyomo.environ as pyo


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
            for k in range(instance.n_resources):
                cap = instance.peak_capacity(k)
                if cap <= 0:
                    continue
                work = sum(p[a] * instance.demands[a][k] for a in between)
                energy = max(energy, -(-work // cap))
            d_ij = p[i] + energy
            if d_ij > dist[j]:
                delays[(i, j)] = d_ij
    return delays


def build_cpsat(instance: RcpspInstance, ub: int, lb: int, hint=None, use_delays: bool = True,
                objective: str = "makespan"):
    """Build the CP-SAT model.

    Parameters
    ----------
    ub, lb : int
        Makespan bounds (time units); ``ub`` is the makespan of a feasible
        schedule (e.g. ``hint``) or the planning horizon.
    hint : sequence of int, optional
        Start times to pass as a solution hint.
    objective : {'makespan', 'feasibility'}
        Minimise the makespan, or only look for a schedule.

    Extensions (R-ConstraintBench) are encoded exactly: release dates and
    deadlines as start domains ``[ES_j, LS_j]`` (CPM passes with lags),
    minimum/maximum lags as linear constraints on starts, each capacity
    calendar as fixed blocking intervals of demand ``P_k - c`` in a
    cumulative of the peak capacity ``P_k`` (downtime: ``c = 0``), each
    disjunctive pair as a two-interval no-overlap.

    Returns
    -------
    (model, starts, makespan) : CpModel, list of IntVar (n,), IntVar
    """
    m = cp_model.CpModel()
    n, p = instance.n, instance.durations
    es = earliest_starts(instance)
    ls = latest_starts(instance, ub)
    starts = []
    for j in range(n):
        starts.append(m.new_int_var(es[j], max(es[j], ls[j]), f"S{j}"))
        if ls[j] < es[j]:
            m.add_bool_or([])  # window, deadline or horizon cannot be met: infeasible
    cmax = m.new_int_var(min(lb, ub), ub, "Cmax")
    intervals = [m.new_fixed_size_interval_var(starts[j], p[j], f"I{j}") for j in range(n)]
    for i, j in instance.edges():
        lo, hi = instance.lag(i, j)
        m.add(starts[j] >= starts[i] + p[i] + lo)
        if hi is not None:
            m.add(starts[j] <= starts[i] + p[i] + hi)
    q = tails(instance)
    for j in range(n):
        m.add(cmax >= starts[j] + q[j])
    for k in range(instance.n_resources):
        used = [j for j in range(n) if p[j] > 0 and instance.demands[j][k] > 0]
        segs = instance.capacity_segments(k, ub)
        if not used or sum(instance.demands[j][k] for j in used) <= min((c for _, _, c in segs), default=0):
            continue
        peak = instance.peak_capacity(k)
        blocks = [(m.new_fixed_size_interval_var(a, b - a, f"D{k}_{a}"), peak - c) for a, b, c in segs if c < peak]
        m.add_cumulative([intervals[j] for j in used] + [iv for iv, _ in blocks],
                         [instance.demands[j][k] for j in used] + [d for _, d in blocks], peak)
    for i, j in instance.disjunctive:
        if p[i] > 0 and p[j] > 0:
            m.add_no_overlap([intervals[i], intervals[j]])
    if use_delays:
        for (i, j), d in pairwise_delays(instance).items():
            m.add(starts[j] >= starts[i] + d)
    if objective == "makespan":
        m.minimize(cmax)
    if hint is not None:
        for j in range(n):
            m.add_hint(starts[j], int(hint[j]))
        m.add_hint(cmax, max(int(hint[j]) + p[j] for j in range(n)))
    return m, starts, cmax


OBJECTIVES = ("makespan", "feasibility")

PORTFOLIOS = ("auto", "proof", "default")
#: largest instance (activities incl. dummies) on which ``portfolio=auto``
#: picks the proof portfolio: j30 and j60 (32, 62), not j120 (122), where it
#: proves no more and ends further from the reference upper bound (20
#: instances the default left unproven, 9 s, GA hint: 1 proven either way,
#: mean deviation 3.12 % instead of 2.99 %)
PROOF_PORTFOLIO_MAX_N = 62


def portfolio_params(instance: RcpspInstance, options: Options) -> dict:
    """CP-SAT parameters of ``options.params['portfolio']``.

    ``proof`` (with exactly 2 workers): both threads run complete tree search
    without the LP relaxation (CP-SAT subsolvers ``no_lp`` and
    ``quick_restart_no_lp``) instead of one LP-based search thread plus one
    thread of large-neighbourhood search. The warm start is usually optimal or
    close, so the budget goes to closing the search tree. Measured on the 11
    j30 instances the default left unproven (9 s, GA hint): 6 proven instead
    of 1; on j60's 78: 7 instead of 0, mean deviation from the reference
    upper bound 1.75 % instead of 1.68 % on those 78. ``default``: CP-SAT's
    own portfolio. ``auto`` (default): ``proof`` up to
    :data:`PROOF_PORTFOLIO_MAX_N` activities. InputError for another name.
    """
    name = str(options.params.get("portfolio", "auto"))
    if name not in PORTFOLIOS:
        raise InputError(f"unknown portfolio {name!r}; expected one of {', '.join(PORTFOLIOS)}")
    if name == "auto":
        name = "proof" if instance.n <= PROOF_PORTFOLIO_MAX_N else "default"
    if name == "default" or int(options.workers) != 2:
        return {}
    return {"num_full_subsolvers": 2, "subsolvers": ["no_lp", "quick_restart_no_lp"]}


#: seconds of CP-SAT's default portfolio (LP search + large-neighbourhood
#: search) before the proof portfolio, to improve the warm start first
IMPROVE_SECONDS = 2.0


def improve_seconds(options: Options) -> float:
    """``options.params['improve']``: seconds of CP-SAT's own portfolio run
    before the proof portfolio takes over from its best schedule (default
    :data:`IMPROVE_SECONDS`; 0 turns the phase off). Only used with the proof
    portfolio and a warm start. Measured on the 71 j60 instances the proof
    portfolio alone left unproven at 10 s: 8 proven with 2 s instead of 0,
    13 end lower, 1 higher. InputError for a negative or non-numeric value."""
    return _seconds_param(options, "improve", IMPROVE_SECONDS)


#: seconds the destructive refutation of "makespan <= UB - 1" may run beside
#: the proof portfolio (:class:`~schedcert.models.rcpsp_destructive.Refuter`)
REFUTE_SECONDS = 6.0


def refute_seconds(options: Options) -> float:
    """``options.params['refute']``: seconds for the destructive refutation
    of "makespan <= UB - 1" (energetic reasoning, shaving and the LP
    relaxation of :mod:`schedcert.models.rcpsp_destructive`) in a thread
    beside the proof portfolio; it stops CP-SAT when it succeeds. Default
    :data:`REFUTE_SECONDS`, 0 turns it off; used only with the proof
    portfolio, a warm start and no extensions. InputError for a negative or
    non-numeric value."""
    return _seconds_param(options, "refute", REFUTE_SECONDS)


PROOFS = ("minimize", "descent")
#: how the proof portfolio closes the gap after the improvement phase
PROOF = "minimize"


def proof_mode(options: Options) -> str:
    """``options.params['proof']``: ``minimize`` (one CP-SAT minimisation
    from the incumbent) or ``descent`` (:func:`_descend`: decision problems
    "makespan <= UB - 1" without objective until one is infeasible); default
    :data:`PROOF`. Used only with the proof portfolio and a warm start.
    InputError otherwise."""
    mode = str(options.params.get("proof", PROOF))
    if mode not in PROOFS:
        raise InputError(f"unknown proof {mode!r}; expected one of {', '.join(PROOFS)}")
    return mode


def _descend(instance, options, ub, lb, hint, use_delays, portfolio, budget, remaining, info) -> Result:
    """Destructive descent from the incumbent `hint` of makespan `ub`: solve
    the feasibility model (no objective, no hint) with horizon ``ub - 1``;
    a schedule found becomes the incumbent and the next step asks for one
    unit less; infeasibility (CP-SAT's, or the :class:`Refuter` running
    beside each step for up to `budget` seconds) proves the incumbent
    optimal; running out of time leaves the bound at `lb`. The steps are
    listed in ``info['descent']``."""
    p, steps, params, proven = instance.durations, [], dict(portfolio), ub <= lb
    while not proven:
        left = remaining()
        if left is not None and left <= 0.01:
            break
        target = ub - 1
        model, starts, _ = build_cpsat(instance, target, lb, None, use_delays, "feasibility")
        solver = cp_model.CpSolver()
        refuter = Refuter(instance, target, budget if left is None else min(budget, left), solver) \
            if budget > 0 else None
        if refuter is not None:
            refuter.start()
        out = solve_cpsat(model, options, left, portfolio, solver)
        refuted = refuter.finish() if refuter is not None else None
        params = out.info["solver_params"]
        steps.append({"makespan": target, "status": out.status.value, "wall_time": round(out.info["wall_time"], 3),
                      "refuted": refuted})
        if out.has_solution:
            if refuted:
                raise RuntimeError(f"makespan {target} refuted, yet CP-SAT found a schedule: defect")
            hint = [out.solver.value(s) for s in starts]
            ub = max(hint[j] + p[j] for j in range(instance.n))
            proven = ub <= lb
        elif refuted or out.status == Status.INFEASIBLE:
            proven = True
        else:
            break
    info["descent"] = steps
    return _conclude(instance, ub if proven else lb, hint, ub if proven else None, proven, solver_info(params), info)


def _seconds_param(options: Options, name: str, default: float) -> float:
    value = options.params.get(name, default)
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if seconds < 0:
        raise InputError(f"--param {name}: expected seconds >= 0, got {value!r}")
    return seconds


def objective_of(options: Options) -> str:
    """``options.params['objective']``: ``makespan`` (default) or
    ``feasibility``; InputError otherwise."""
    obj = str(options.params.get("objective", "makespan"))
    if obj not in OBJECTIVES:
        raise InputError(f"unknown objective {obj!r}; expected one of {', '.join(OBJECTIVES)}")
    return obj


def _warm(instance: RcpspInstance, options: Options):
    """Incumbent to start from: ``options.warm_start`` (validated; the core
    runner passes the problem's best heuristic there), else, for a plain
    instance, activities one after another in topological order (always
    feasible: demands <= capacity is checked on reading), else None.

    A warm start is only taken when it ends by what the model would use
    without it — the sequential schedule's makespan (plain instances), the
    planning horizon (extended ones; with maximum or negative lags, where it
    does not bound every schedule, the largest horizon an instance may have,
    MAX_HORIZON) — so a schedule that idles for ages (a start of 2^61 is
    feasible) never widens the model."""
    sequential = None
    if not instance.extended:
        sequential, t = [0] * instance.n, 0
        for j in topological_order(instance):
            sequential[j] = t
            t += instance.durations[j]
    if options.warm_start is not None:
        ev = evaluate(instance, options.warm_start)
        if not ev.feasible:
            raise InputError("warm start is not a feasible schedule: " + "; ".join(ev.violations[:3]))
        horizon, safe = planning_horizon(instance)
        longest = sum(instance.durations) if sequential is not None else horizon
        if ev.objective <= longest or (not safe and ev.objective <= MAX_HORIZON):  # unsafe: H bounds not all
            return list(options.warm_start.starts), "warm_start"
        if sequential is None:
            return None, "none (the warm start ends past the planning horizon)"
        return sequential, "sequential (shorter than the warm start)"
    return sequential, ("none" if sequential is None else "sequential")


@method("rcpsp", "cpsat", "exact",
        "CP-SAT (intervals + cumulative; windows, calendars, disjunctive pairs, lags), warm-started by the "
        "GA (--param warm=NAME); params: objective (makespan|feasibility), delays (1), explain (30 s), "
        "portfolio (auto|proof|default), improve (2 s), refute (6 s), proof (minimize|descent)",
        params={"objective": choice(*OBJECTIVES), "delays": FLAG, "explain": SECONDS,
                "portfolio": choice("auto", "proof", "default"), "improve": SECONDS, "refute": SECONDS,
                "proof": choice("minimize", "descent"), CPSAT: None})
def solve_cpsat_rcpsp(instance: RcpspInstance, options: Options) -> Result:
    """Minimise the makespan with CP-SAT (see module docstring), or with
    ``objective=feasibility`` find any schedule or prove there is none.

    Returns the heuristic schedule if CP-SAT does not improve on it or finds
    no schedule in its time (the warm start may have used it); the bound
    is the best of LB and CP-SAT's proven objective bound. With no schedule
    the status is ``infeasible`` (proven; ``info['explanation']`` names a
    conflicting set of constraints, see
    :func:`schedcert.models.rcpsp_explain.explain_infeasibility`) or
    ``unknown``.
    """
    t0 = time.perf_counter()
    objective = objective_of(options)
    portfolio = portfolio_params(instance, options)
    first = improve_seconds(options)
    budget = refute_seconds(options)
    proof = proof_mode(options)
    lb = lower_bound(instance)
    hint, origin = _warm(instance, options)
    horizon, safe = planning_horizon(instance)
    info = {"warm_start": origin, "lb0": lb, "objective": objective}
    if hint is not None:
        ub = max(int(hint[j]) + instance.durations[j] for j in range(instance.n))
        info["warm_makespan"] = ub
        if ub <= lb or objective == "feasibility":
            return _conclude(instance, lb, hint, None, ub <= lb, solver_info({}), info)
    else:
        ub = horizon
        info["horizon"] = horizon
    use_delays = bool(int(options.params.get("delays", 1)))
    model, starts, _ = build_cpsat(instance, ub, lb, hint, use_delays, objective)
    info["build_time"] = round(time.perf_counter() - t0, 3)

    def remaining():
        return None if options.time_limit is None else options.time_limit - (time.perf_counter() - t0)

    out = None
    # improve phase, refutation and descent all belong to the proof portfolio's makespan minimisation
    staged = bool(portfolio) and hint is not None and objective == "makespan"
    if staged and 0 < first and (
            remaining() is None or remaining() > first):
        pre = solve_cpsat(model, options, first, {})
        info["improve_objective"] = pre.objective
        if pre.status == Status.OPTIMAL:
            out = pre
        elif pre.has_solution:  # the proof starts from its best schedule and bound
            if pre.objective < ub:
                hint, ub = [pre.solver.value(s) for s in starts], int(round(pre.objective))
            lb = max(lb, math.ceil(pre.bound))
            model, starts, _ = build_cpsat(instance, ub, lb, hint, use_delays, objective)
    refutes = staged and budget > 0 and not instance.extended
    if out is None and staged and proof == "descent":
        return _descend(instance, options, ub, lb, hint, use_delays, portfolio, budget if refutes else 0.0,
                        remaining, info)
    refuter = None
    if out is None:
        solver = cp_model.CpSolver()
        if refutes:
            refuter = Refuter(instance, ub - 1, budget, solver)
            refuter.start()
        out = solve_cpsat(model, options, remaining(), portfolio, solver)
    info.update(out.info)
    if refuter is not None:
        info["refute"] = {"makespan": ub - 1, "refuted": refuter.finish(), "seconds": refuter.seconds_used}
        if refuter.refuted:  # no schedule ends by ub - 1: the incumbent's ub is optimal
            if out.has_solution and out.objective < ub:
                raise RuntimeError(f"makespan {ub - 1} refuted, yet CP-SAT found {out.objective}: defect")
            return _conclude(instance, ub, hint, ub, True, solver_info(out.info["solver_params"]), info)
    solver = solver_info(out.info["solver_params"])
    if out.status == Status.INFEASIBLE:
        if hint is not None:  # C <= UB is satisfied by the hint: cannot happen
            raise RuntimeError("CP-SAT claims no schedule of makespan <= the heuristic's: model defect")
        return _no_schedule(instance, options, horizon, safe, info, solver, t0)
    if not out.has_solution and hint is None:
        return Result("rcpsp", instance.name, "", Status.UNKNOWN, None, None, 0.0, solver, info=info)
    # no schedule from CP-SAT (e.g. the warm start used the time limit): the hint stands
    better = out.has_solution and (hint is None or objective == "makespan" and out.objective < ub)
    sched = [out.solver.value(s) for s in starts] if better else hint
    if objective == "feasibility":
        return _conclude(instance, lb, sched, None, False, solver, info)
    return _conclude(instance, lb, sched, out.bound, out.status == Status.OPTIMAL, solver, info)


def _no_schedule(instance, options, horizon, safe, info, solver, t0) -> Result:
    """Result for a CP-SAT proof that no schedule ends by `horizon`:
    ``infeasible`` when the horizon is safe
    (:func:`~schedcert.instances.rcpsp.planning_horizon`), else
    ``unknown``; with the explanation of the conflict."""
    from schedcert.models.rcpsp_explain import explain_infeasibility

    budget = float(options.params.get("explain", 30.0))
    if options.time_limit is not None:
        budget = min(budget, max(1.0, options.time_limit - (time.perf_counter() - t0)))
    if budget > 0:
        why = explain_infeasibility(instance, budget, options.seed)
        if why is not None:
            info["explanation"] = why["text"]
            info["conflict"] = why["constraints"]
            info["conflict_irreducible"] = why["irreducible"]
    if not safe:
        info["note"] = (f"no schedule finishes by the derived horizon {horizon}; with maximum or negative lags or "
                        f"demands above a default capacity a later one is not ruled out")
    status = Status.INFEASIBLE if safe else Status.UNKNOWN
    return Result("rcpsp", instance.name, "", status, None, None, 0.0, solver, info=info)


def _conclude(instance, lb, sched, solver_bound, proven, solver, info) -> Result:
    """Result for schedule `sched`; its bound is the makespan when the solver
    proved optimality, else max(lb, ceil(solver_bound))."""
    sol = RcpspSolution(tuple(int(s) for s in sched))
    return integral_min_result("rcpsp", instance.name, sol, sol.makespan(instance), lb, solver_bound, proven,
                               solver, info)


def build_milp(instance: RcpspInstance, ub: int, lb: int) -> pyo.ConcreteModel | None:
    """Time-indexed Pyomo model (Pritsker et al. 1969) with periods
    ``0..ub-1``; see module docstring. Variables ``x[j, t]`` and ``C``.

    Extensions: start windows ``[ES_j, LS_j]`` (releases, deadlines, lags),
    lags on the aggregated start times, the capacity ``c_k(t)`` of the
    calendar in every period, and per disjunctive pair and period
    ``sum_{tau in (t-p_i, t]} x_i,tau + sum_{tau in (t-p_j, t]} x_j,tau <= 1``.
    Returns None when some window is empty (no schedule ends by `ub`).
    """
    import pyomo.environ as pyo  # loaded on first use: heuristics need no Pyomo

    n, p = instance.n, instance.durations
    es = earliest_starts(instance)
    ls = latest_starts(instance, ub)
    if any(ls[j] < es[j] for j in range(n)):
        return None
    win = {j: range(es[j], ls[j] + 1) for j in range(n)}
    m = pyo.ConcreteModel(name=f"rcpsp-ti-{instance.name}")
    m.idx = pyo.Set(initialize=[(j, t) for j in range(n) for t in win[j]], dimen=2)
    m.x = pyo.Var(m.idx, domain=pyo.Binary)
    m.C = pyo.Var(bounds=(min(lb, ub), ub))
    m.one = pyo.Constraint(range(n), rule=lambda m, j: sum(m.x[j, t] for t in win[j]) == 1)

    def start(j):
        return sum(t * m.x[j, t] for t in win[j])

    def running(j, t):  # x terms of activity j in process in period t
        return [(j, tau) for tau in range(max(t - p[j] + 1, win[j].start), min(t, win[j].stop - 1) + 1)]

    m.prec = pyo.ConstraintList()
    for i, j in instance.edges():
        lo, hi = instance.lag(i, j)
        m.prec.add(start(j) >= start(i) + p[i] + lo)
        if hi is not None:
            m.prec.add(start(j) <= start(i) + p[i] + hi)
    m.cmax = pyo.Constraint(range(n), rule=lambda m, j: m.C >= start(j) + p[j])
    m.res = pyo.ConstraintList()
    for k in range(instance.n_resources):
        users = [j for j in range(n) if p[j] > 0 and instance.demands[j][k] > 0]
        for a, b, cap in instance.capacity_segments(k, ub):
            for t in range(a, b):
                terms = [(instance.demands[j][k], jt) for j in users for jt in running(j, t)]
                if sum(r for r, _ in terms) > cap:
                    m.res.add(sum(r * m.x[jt] for r, jt in terms) <= cap)
    for i, j in instance.disjunctive:
        for t in range(ub):
            a, b = running(i, t), running(j, t)
            if p[i] and p[j] and a and b:
                m.res.add(sum(m.x[jt] for jt in a + b) <= 1)
    m.obj = pyo.Objective(expr=m.C, sense=pyo.minimize)
    m._win = win
    return m


def milp_terms(instance: RcpspInstance, ub: int) -> int:
    """About how many nonzeros :func:`build_milp` writes for horizon `ub`:
    each ``x[j, t]`` appears in its assignment and start rows and in the
    ``p_j`` periods' rows of every resource j uses and of its disjunctive
    pairs."""
    es, ls = earliest_starts(instance), latest_starts(instance, ub)
    pairs = Counter(j for pair in instance.disjunctive for j in pair)
    return sum(max(0, ls[j] - es[j] + 1) * (2 + max(1, instance.durations[j])
                                            * (sum(1 for r in instance.demands[j] if r) + pairs[j]))
               for j in range(instance.n))


def _solve_milp(instance: RcpspInstance, options: Options, solver: str) -> Result:
    t0 = time.perf_counter()
    objective_of(options)
    lb = lower_bound(instance)
    hint, origin = _warm(instance, options)
    horizon, safe = planning_horizon(instance)
    info = {"warm_start": origin, "lb0": lb}
    nosolver = not_run(solver)
    ub = horizon if hint is None else max(int(hint[j]) + instance.durations[j] for j in range(instance.n))
    if hint is not None and ub <= lb:
        return _conclude(instance, lb, hint, None, True, nosolver, info)
    why = too_large(milp_terms(instance, ub), options.time_limit)
    if why is not None:
        info["note"] = why
        if hint is None:
            return Result("rcpsp", instance.name, "", Status.UNKNOWN, None, None, 0.0, nosolver, info=info)
        return _conclude(instance, lb, hint, None, False, nosolver, info)
    m = build_milp(instance, ub, lb)
    if m is None:
        return Result("rcpsp", instance.name, "", Status.INFEASIBLE if safe else Status.UNKNOWN, None, None, 0.0,
                      nosolver, info={**info, "note": f"a time window is empty within the horizon {ub}"})
    info["variables"] = len(m.idx)
    remaining = None if options.time_limit is None else options.time_limit - (time.perf_counter() - t0)
    out = solve_pyomo(m, options, remaining, solver)
    if hint is None and out.status == Status.INFEASIBLE:
        return Result("rcpsp", instance.name, "", Status.INFEASIBLE if safe else Status.UNKNOWN, None, None, 0.0,
                      out.solver, info={**info, "horizon": ub})
    improved = None
    if out.has_solution and (hint is None or out.objective < ub - 0.5):
        improved = _milp_starts(m, instance.n)
    sched = improved or hint
    if sched is None:
        return Result("rcpsp", instance.name, "", Status.UNKNOWN, None, None, 0.0, out.solver, info=info)
    # optimal proves `sched` when the solver's optimum is the schedule we return
    proven = out.status == Status.OPTIMAL and (improved is not None or out.objective >= ub - 0.5)
    return _conclude(instance, lb, sched, out.bound, proven, out.solver, info)


def _milp_starts(m, n):
    """Start times from an integral incumbent, or None (a solver may report a
    fractional point on time-out)."""
    import pyomo.environ as pyo  # loaded on first use: heuristics need no Pyomo

    starts = []
    for j in range(n):
        t = next((t for t in m._win[j] if (pyo.value(m.x[j, t], exception=False) or 0) > 0.5), None)
        if t is None:
            return None
        starts.append(t)
    return starts


register_pair("rcpsp", "milp", "time-indexed MILP (Pritsker 1969) in Pyomo; small instances", _solve_milp,
              params={"objective": choice(*OBJECTIVES)})
