"""Exact methods for 1||ΣTj and 1||ΣwjTj.

``bb`` — Lawler's decomposition with memoisation, 1||ΣTj only; the
    algorithm and its compiled search are in :mod:`schedcert.models.smtt_bb`.

``cpsat`` — interval per job, no-overlap, ``T_j >= C_j - d_j``.
``mip``, ``mip-cbc`` — positional assignment MIP (Keha, Khowala & Fowler
    2009, the formulation the SMTT paper uses): ``x_jk = 1`` if job j is in
    position k; ``C_k = C_{k-1} + Σ_j p_j x_jk``; ``T_k >= C_k - Σ_j d_j x_jk``
    (unweighted: tardiness per position) or, weighted,
    ``T_j >= C_k - d_j - M (1 - x_jk)``, ``M = Σp - d_j``; a due date past
    ``Σp`` enters as ``Σp`` (never missed either way; keeps coefficients in
    an LP solver's range); Pyomo on HiGHS or CBC.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from schedcert.cpsat import solve_cpsat, solver_info
from schedcert.errors import InputError
from schedcert.instances.smtt import SmttInstance, SmttSolution, evaluate
from schedcert.milp import not_run, register_pair, solve_pyomo, too_large
from schedcert.models.smtt_bb import Decomposition, SearchTimeout, pairing_bound
from schedcert.params import CPSAT
from schedcert.registry import method
from schedcert.result import Options, Result, Status, integral_min_result

if TYPE_CHECKING:  # annotations only; Pyomo is imported where a model is built
    import pyomo.environ as pyo


def _incumbent(inst: SmttInstance, options: Options) -> tuple[SmttSolution, str]:
    if options.warm_start is not None:
        ev = evaluate(inst, options.warm_start)
        if not ev.feasible:
            raise InputError("warm start is not a valid sequence: " + "; ".join(ev.violations[:3]))
        return options.warm_start, "warm_start"
    from schedcert.registry import run_method  # models never import heuristics (DESIGN.md)

    return run_method("smtt", "mdd", inst, Options()).solution, "mdd"


def _conclude(inst, sol, lb, solver_bound, proven, solver, info) -> Result:
    return integral_min_result("smtt", inst.name, sol, inst.tardiness(sol.sequence), lb, solver_bound, proven,
                               solver, info)


@method("smtt", "bb", "exact",
        "Lawler decomposition branch-and-bound with memoisation (1||ΣTj); proves optima up to 500 jobs")
def solve_bb(inst: SmttInstance, options: Options) -> Result:
    """Exact 1||ΣTj by :class:`Decomposition`. Raises InputError on weighted
    instances (use lrdp, cpsat or mip)."""
    if inst.weighted:
        raise InputError(f"{inst.name}: bb solves 1||ΣTj only (all weights 1); "
                         "use --method lrdp (the default on weighted instances), cpsat or mip")
    t0 = time.perf_counter()
    inc, origin = _incumbent(inst, options)
    root_lb = pairing_bound(list(inst.p), list(inst.d))
    deadline = None if options.time_limit is None else t0 + options.time_limit
    dec = Decomposition(inst, deadline)
    info = {"warm_start": origin, "warm_objective": inst.tardiness(inc.sequence), "root_lb": root_lb}
    solver = {"name": "schedcert-bb", "version": "1", "params": {}}
    try:
        value, seq = dec.solve(inst.tardiness(inc.sequence))
    except SearchTimeout:
        info.update(nodes=dec.nodes, memo=len(dec.memo), timeout=True)
        return _conclude(inst, inc, root_lb, None, False, solver, info)
    info.update(nodes=dec.nodes, memo=len(dec.memo))
    sol = inc if seq is None else SmttSolution(tuple(seq))
    return _conclude(inst, sol, inst.tardiness(sol.sequence), None, True, solver, info)


# ---------------------------------------------------------------- CP-SAT

@method("smtt", "cpsat", "exact", "CP-SAT: interval per job, no-overlap, tardiness variables (baseline)",
        params={CPSAT: None})
def solve_cpsat_smtt(inst: SmttInstance, options: Options) -> Result:
    """Minimise Σ w_j T_j with CP-SAT; hint = the warm start."""
    t0 = time.perf_counter()
    inc, origin = _incumbent(inst, options)
    ub = inst.tardiness(inc.sequence)
    horizon = sum(inst.p)
    m = cp_model.CpModel()
    start = [m.new_int_var(0, horizon - inst.p[j], f"S{j}") for j in range(inst.n)]
    ivs = [m.new_fixed_size_interval_var(start[j], inst.p[j], f"I{j}") for j in range(inst.n)]
    tard = [m.new_int_var(0, max(0, horizon - inst.d[j]), f"T{j}") for j in range(inst.n)]
    m.add_no_overlap(ivs)
    for j in range(inst.n):
        m.add(tard[j] >= start[j] + inst.p[j] - inst.d[j])
    obj = sum(inst.w[j] * tard[j] for j in range(inst.n))
    m.add(obj <= ub)
    m.minimize(obj)
    c = 0
    for j in inc.sequence:
        m.add_hint(start[j], c)
        m.add_hint(tard[j], max(0, c + inst.p[j] - inst.d[j]))
        c += inst.p[j]
    remaining = None if options.time_limit is None else options.time_limit - (time.perf_counter() - t0)
    out = solve_cpsat(m, options, remaining)
    info = {"warm_start": origin, "warm_objective": ub, **out.info}
    sol = inc
    if out.has_solution and out.objective < ub:
        sol = SmttSolution(tuple(sorted(range(inst.n), key=lambda j: out.solver.value(start[j]))))
    return _conclude(inst, sol, 0, out.bound, out.status == Status.OPTIMAL,
                     solver_info(out.info["solver_params"]), info)


# ---------------------------------------------------------------- positional MIP

def build_mip(inst: SmttInstance) -> pyo.ConcreteModel:
    """Keha et al. (2009) positional formulation (module docstring)."""
    import pyomo.environ as pyo  # loaded on first use: heuristics need no Pyomo

    jobs = range(inst.n)
    pos = range(inst.n)
    # a due date at or past Σp is never missed; as Σp it keeps the coefficients within what an LP
    # solver represents (d = 2^62 broke HiGHS's numerics: no assignment came back)
    big = sum(inst.p)
    d = [min(dj, big) for dj in inst.d]
    m = pyo.ConcreteModel(name=f"smtt-{inst.name}")
    m.x = pyo.Var(jobs, pos, domain=pyo.Binary)
    m.C = pyo.Var(pos, domain=pyo.NonNegativeReals)
    m.job = pyo.Constraint(jobs, rule=lambda m, j: sum(m.x[j, k] for k in pos) == 1)
    m.slot = pyo.Constraint(pos, rule=lambda m, k: sum(m.x[j, k] for j in jobs) == 1)
    m.comp = pyo.Constraint(pos, rule=lambda m, k: m.C[k] == (m.C[k - 1] if k else 0)
                            + sum(inst.p[j] * m.x[j, k] for j in jobs))
    if not inst.weighted:
        m.T = pyo.Var(pos, domain=pyo.NonNegativeReals)
        m.tard = pyo.Constraint(pos, rule=lambda m, k: m.T[k] >= m.C[k] - sum(d[j] * m.x[j, k] for j in jobs))
        m.obj = pyo.Objective(expr=sum(m.T[k] for k in pos), sense=pyo.minimize)
    else:
        m.T = pyo.Var(jobs, domain=pyo.NonNegativeReals)
        m.tard = pyo.Constraint(jobs, pos, rule=lambda m, j, k: m.T[j] >= m.C[k] - d[j]
                                - (big - d[j]) * (1 - m.x[j, k]))
        m.obj = pyo.Objective(expr=sum(inst.w[j] * m.T[j] for j in jobs), sense=pyo.minimize)
    return m


def _solve_mip(inst: SmttInstance, options: Options, solver: str) -> Result:
    import pyomo.environ as pyo  # loaded on first use: heuristics need no Pyomo

    t0 = time.perf_counter()
    inc, origin = _incumbent(inst, options)
    ub = inst.tardiness(inc.sequence)
    info = {"warm_start": origin, "warm_objective": ub}
    # n^2 assignment variables, each in its job, slot, completion and tardiness rows
    why = too_large(4 * inst.n ** 2 + 3 * inst.n, options.time_limit)
    if why is not None:
        return _conclude(inst, inc, 0, None, False, not_run(solver), {**info, "note": why})
    m = build_mip(inst)
    remaining = None if options.time_limit is None else options.time_limit - (time.perf_counter() - t0)
    out = solve_pyomo(m, options, remaining, solver)
    sol, bound, trusted = inc, out.bound, True
    if out.has_solution and out.objective < ub - 0.5:
        seq = [next((j for j in range(inst.n) if (pyo.value(m.x[j, k], exception=False) or 0) > 0.5), None)
               for k in range(inst.n)]
        if sorted(s for s in seq if s is not None) == list(range(inst.n)):
            sol = SmttSolution(tuple(seq))
        else:  # numerical trouble: x is no assignment, so neither its objective nor its bound is trusted
            info["note"] = "the MIP solution is not an assignment of jobs to positions; the warm start is kept"
            bound, trusted = None, False
    value = inst.tardiness(sol.sequence)
    proven = trusted and out.status == Status.OPTIMAL and out.objective is not None and value <= out.objective + 0.5
    return _conclude(inst, sol, 0, bound, proven, out.solver, info)


register_pair("smtt", "mip", "positional assignment MIP (Keha et al. 2009) in Pyomo, the paper's baseline",
              _solve_mip)
