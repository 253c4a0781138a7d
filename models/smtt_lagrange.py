"""Lagrangian lower bound for 1||ΣwjTj over a time-indexed DP.

Tanaka, Fujikuma & Araki (2009), "An exact algorithm for single-machine
scheduling without machine idle time", J. Scheduling 12:575-593, stage 1
(the relaxation they call LR2adj): relax the constraints "every job is
processed exactly once" with multipliers ``mu_j``. What remains is a
shortest path over time: a sequence of jobs, repetitions allowed, that
fills ``[0, T)`` without idle time (``T = Σ p_j``), costs
``Σ (w_j max(0, C - d_j) - mu_j)`` and obeys two conditions every optimal
schedule can be made to obey:

* no job twice in a row;
* adjacent pairs are locally optimal: i directly before j (j completing at
  t) only if ``f_i(t - p_j) + f_j(t) < f_j(t - p_i) + f_i(t)``, or equal
  and ``i < j`` (the lexicographically smallest optimal sequence satisfies
  this for every adjacent pair, so it stays feasible for the relaxation).

DP: ``h(t, j) = f_j(t) - mu_j + min_i h(t - p_j, i)`` over allowed i
(``h(p_j, j) = f_j(p_j) - mu_j`` for a first job), and
``LB(mu) = min_j h(T, j) + Σ mu_j <= OPT`` for every mu. Subgradient
optimisation (Held, Wolfe & Crowder 1974) on ``g_j = 1 - (times j is on the
optimal path)`` with step ``lambda (UB - LB) / ||g||^2`` maximises it. If
the optimal path of some mu uses every job once, it is an optimal schedule.
O(n² T) per DP; n = 40, T ~ 2 000: about 20 ms in numba.

Closing the gap (method ``lrdp``): Lagrangian variable fixing. With
forward values ``h(t, j)`` and backward values ``g(t, j)`` (the cheapest
relaxed completion after j ends at t), job j can end at t in a schedule of
cost <= UB - 1 only if ``h(t, j) + g(t, j) + Σ mu <= UB - 1``. CP-SAT then
searches the schedules whose completion times all lie in these reduced
domains, with cost in ``[LB, UB - 1]``: "infeasible" proves UB optimal; a
schedule found becomes the new UB, the domains are filtered again and the
search repeats. When a first CP-SAT slice makes no progress, Tanaka et
al.'s stages 2-3 (state-space modifiers on three-job states,
:mod:`schedcert.models.smtt_modifiers`) raise the bound and prune the
domains further before CP-SAT continues.
This is exact because the lexicographically smallest optimal sequence obeys
the adjacency rule, so all of its (C_j, j) survive the filter.
"""

from __future__ import annotations

import math
import time

import numpy as np
from numba import njit
from ortools.sat.python import cp_model

from schedcert.instances.smtt import SmttInstance, SmttSolution
from schedcert.interrupt import run_cpsat
from schedcert.params import SECONDS, integer
from schedcert.registry import method
from schedcert.result import Options, Result


@njit(cache=True)
def _allowed(p, d, w, i, j, t):
    """May i come directly before j when j completes at t (adjacency rule
    of the module docstring)?"""
    s = t - p[j]
    here = w[i] * max(0, s - d[i]) + w[j] * max(0, t - d[j])
    swap = w[j] * max(0, t - p[i] - d[j]) + w[i] * max(0, t - d[i])
    return i != j and (here < swap or (here == swap and i < j))


@njit(cache=True)
def _backward(p, d, w, mu, T):
    """``g[t, j]``: cheapest relaxed cost of what follows j completing at t
    (0 at T)."""
    n = len(p)
    INF = 1e300
    g = np.full((T + 1, n), INF)
    for j in range(n):
        g[T, j] = 0.0
    for t in range(T - 1, 0, -1):
        for j in range(n):
            best = INF
            for k in range(n):
                c = t + p[k]
                if c > T or g[c, k] >= INF or not _allowed(p, d, w, j, k, c):
                    continue
                v = w[k] * max(0, c - d[k]) - mu[k] + g[c, k]
                if v < best:
                    best = v
            g[t, j] = best
    return g


@njit(cache=True)
def _forward(p, d, w, mu, T):
    """``h[t, j]``: cheapest relaxed cost of a sequence filling [0, t)
    that ends with j (its own cost included); ``arg[t, j]``: the job before
    j on such a sequence (-2: j is first, -1: none)."""
    n = len(p)
    INF = 1e300
    h = np.full((T + 1, n), INF)
    arg = np.full((T + 1, n), -1, dtype=np.int64)
    for t in range(1, T + 1):
        for j in range(n):
            s = t - p[j]
            if s < 0:
                continue
            fj = w[j] * max(0, t - d[j]) - mu[j]
            if s == 0:
                h[t, j] = fj
                arg[t, j] = -2
                continue
            best, bi = INF, -1
            for i in range(n):
                if h[s, i] < best and _allowed(p, d, w, i, j, t):
                    best, bi = h[s, i], i
            if bi >= 0:
                h[t, j] = best + fj
                arg[t, j] = bi
    return h, arg


@njit(cache=True)
def _dp(p, d, w, mu, T):
    """Forward DP of the module docstring; returns (value at T, counts of
    each job on one optimal path, the path's jobs in order)."""
    h, arg = _forward(p, d, w, mu, T)
    n = len(p)
    val, last = 1e300, -1
    for j in range(n):
        if h[T, j] < val:
            val, last = h[T, j], j
    counts = np.zeros(n, dtype=np.int64)
    path = []
    t, j = T, last
    while j >= 0:
        counts[j] += 1
        path.append(j)
        prev = arg[t, j]
        t -= p[j]
        j = prev
    return val, counts, path[::-1]


def lagrangian_bound(inst: SmttInstance, ub: int, time_limit: float = 10.0, iterations: int = 5000,
                     patience: int = 30, lam0: float = 1.0):
    """Maximise the Lagrangian bound (module docstring) by subgradient.

    Parameters
    ----------
    inst : SmttInstance
    ub : int
        Objective of a known schedule (steers the step size; the search
        stops when the bound reaches it).
    time_limit : float
        Seconds.

    Returns
    -------
    dict
        ``bound`` (int, a valid lower bound: the best ``ceil(LB(mu))``),
        ``sequence`` (tuple) when a DP path was a schedule using every job
        once with value = bound (then it is optimal), ``iterations``.
    """
    t0 = time.perf_counter()
    p = np.asarray(inst.p, dtype=np.int64)
    d = np.asarray(inst.d, dtype=np.int64)
    w = np.asarray(inst.w, dtype=np.int64)
    T = int(p.sum())
    n = len(p)
    mu = np.zeros(n)
    best, best_seq, lam, stall, it, best_mu = -math.inf, None, lam0, 0, 0, mu
    if DP_RATE * T * n * n > time_limit:  # not even one pass fits (later passes may end past the limit)
        return {"bound": 0, "sequence": None, "iterations": 0, "mu": mu}
    while it < iterations and time.perf_counter() - t0 < time_limit:
        it += 1
        val, counts, path = _dp(p, d, w, mu, T)
        lb = val + mu.sum()
        if lb > best + 1e-9:
            best, stall, best_mu = lb, 0, mu.copy()
        else:
            stall += 1
            if stall >= patience:
                lam, stall = lam / 2, 0
        g = 1.0 - counts
        if not g.any():  # the path is a schedule: optimal for the relaxation and feasible
            best_seq = tuple(int(j) for j in path)
            best = max(best, lb)
            break
        if math.ceil(best - 1e-6) >= ub or lam < 1e-4:
            break
        mu = mu + lam * (ub - lb) / float((g * g).sum()) * g
    return {"bound": int(math.ceil(best - 1e-6)) if best > -math.inf else 0, "sequence": best_seq,
            "iterations": it, "mu": best_mu}


def completion_domains(inst: SmttInstance, mu, ub: int):
    """Per job, the completion times that a schedule of cost <= ub - 1 can
    use (Lagrangian variable fixing): (t, j) is kept iff
    ``h[t, j] + g[t, j] + Σ mu <= ub - 1`` (+1e-6). Some optimal schedule
    obeys the adjacency rule, and its path's relaxed cost is its true cost
    minus Σ mu, so if it costs <= ub - 1 every one of its (C_j, j) is kept.

    Returns list (n,) of sorted completion times.
    """
    p = np.asarray(inst.p, dtype=np.int64)
    d = np.asarray(inst.d, dtype=np.int64)
    w = np.asarray(inst.w, dtype=np.int64)
    T = int(p.sum())
    mu = np.asarray(mu, dtype=np.float64)
    h = _forward(p, d, w, mu, T)[0]
    g = _backward(p, d, w, mu, T)
    tot = h + g + mu.sum()
    limit = ub - 1 + 1e-6
    return [np.flatnonzero(tot[:, j] <= limit).tolist() for j in range(len(p))]


def solve_fixed(inst: SmttInstance, domains, ub: int, lb: int, time_limit: float | None, workers: int, seed: int,
                hint=None):
    """CP-SAT over the reduced completion-time domains: is there a schedule
    of cost <= ub - 1, and which is cheapest? Interval per job ending in its
    domain, one no-overlap, ``T_j = max(0, C_j - d_j)``, cost >= lb (a
    proven bound, so a schedule reaching it ends the search).

    Returns (status name, sequence or None, objective or None).
    """
    m = cp_model.CpModel()
    comp, ivs, cost = [], [], []
    for j in range(inst.n):
        c = m.new_int_var_from_domain(cp_model.Domain.from_values(domains[j]), f"C{j}")
        ivs.append(m.new_interval_var(c - inst.p[j], inst.p[j], c, f"I{j}"))
        tj = m.new_int_var(0, max(0, max(domains[j]) - inst.d[j]), f"T{j}")
        m.add_max_equality(tj, [0, c - inst.d[j]])
        comp.append(c)
        cost.append(inst.w[j] * tj)
    m.add_no_overlap(ivs)
    m.add(sum(cost) <= ub - 1)
    m.add(sum(cost) >= lb)
    m.minimize(sum(cost))
    if hint is not None:
        t = 0
        for j in hint:
            t += inst.p[j]
            m.add_hint(comp[j], t)
    s = cp_model.CpSolver()
    s.parameters.num_workers = max(1, workers)
    s.parameters.random_seed = seed
    if time_limit is not None:
        s.parameters.max_time_in_seconds = max(0.05, time_limit)
    st = run_cpsat(s, m)
    if st in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        seq = tuple(sorted(range(inst.n), key=lambda j: s.value(comp[j])))
        return s.status_name(st), seq, int(round(s.objective_value))
    return s.status_name(st), None, None


#: largest Σ p_j lrdp takes: its DP runs over every time unit (Σp = 10^8 took
#: 29 s for one bound on 3 jobs)
MAX_TOTAL_TIME = 1_000_000

#: seconds per T·n² (T = Σp) of one stage-1 DP pass and of the fixing
#: (:func:`completion_domains`: a forward and a backward pass), measured on
#: this project's 2-core machine: paper n = 500 #001 (T = 25,795): 8.7 s and
#: 45.6 s; wt100 #10: 0.36 s for the fixing. Neither can be interrupted, so
#: neither starts when its estimate does not fit the time left (with
#: --time-limit 2 that instance ran 50 s).
DP_RATE, FIXING_RATE = 3.5e-9, 7.5e-9
IDS_MARGIN = 0.1  # seconds kept back from iterated dynasearch when the fixing is skipped (validation, return)


@method("smtt", "lrdp", "exact",
        "Lagrangian time-indexed DP bound (Tanaka et al. 2009, stage 1) + variable fixing + CP-SAT on the "
        "reduced domains, pruned further by state-space modifiers (stage 3); 1||ΣwjTj and 1||ΣTj; "
        "params: ids_time, lr_time, mod_time (s), mod_states (log2 of the state cap, 24)",
        params={"ids_time": SECONDS, "lr_time": SECONDS, "mod_time": SECONDS, "mod_states": integer(1, 40)})
def solve_lrdp(inst: SmttInstance, options: Options) -> Result:
    """Exact 1||ΣwjTj (module docstring): (1) the warm start, improved by
    iterated dynasearch for ``ids_time`` seconds (default min(1, 5 % of the
    limit)), gives UB;
    (2) subgradient on the Lagrangian DP bound (``lr_time`` seconds, default
    min(10, 25 % of the limit); step halved after 30 iterations without
    improvement, from lambda = 1); (3) if the bound does not reach UB, keep
    per job only the completion times a schedule of cost <= UB - 1 could
    use, and let CP-SAT find the cheapest schedule among them or prove
    there is none (then UB is optimal); (4) after a first CP-SAT slice
    without progress, state-space modifiers (``mod_time`` seconds, default
    80 % of what is left; the rounds end earlier when M cannot grow and
    nothing more is eliminated) prove UB optimal or prune the domains, and
    CP-SAT goes on over what is left; ``mod_states`` (default 24) caps
    the (arc, subset) states at 2^mod_states (8 bytes each, twice). When
    (3) does not fit the time left (estimated ``FIXING_RATE`` s per
    time unit × n²: n = 300 jobs of Σp = 15 000 would need 10 s), the rest
    of the time goes to iterated dynasearch and the result is its
    schedule with the bound of (2) or the pairing bound."""
    from schedcert.errors import InputError
    from schedcert.instances.smtt import lower_bound
    from schedcert.models.smtt import _conclude, _incumbent
    from schedcert.models.smtt_modifiers import modifier_rounds

    if sum(inst.p) > MAX_TOTAL_TIME:
        raise InputError(f"{inst.name}: lrdp's time-indexed bound needs Σp <= {MAX_TOTAL_TIME:,} time units, "
                         f"here {sum(inst.p):,}; use --method cpsat or mip, or scale the time unit")

    from schedcert.registry import run_method

    t0 = time.perf_counter()
    inc, origin = _incumbent(inst, options)
    ub = inst.tardiness(inc.sequence)
    info = {"warm_start": origin, "warm_objective": ub}
    solver = {"name": "schedcert-lrdp", "version": "1", "params": {}}
    if ub == 0:
        return _conclude(inst, inc, 0, None, True, solver, info)
    limit = options.time_limit

    def within(seconds: float) -> float:  # a phase's budget, never past the limit (ids_time=60 searched 60 s)
        return seconds if limit is None else min(seconds, max(0.0, limit - (time.perf_counter() - t0)))

    ids_time = within(float(options.params.get("ids_time", min(1.0, 0.05 * limit) if limit else 1.0)))
    if ids_time > 0:  # a tight incumbent steers the subgradient and makes the fixing bite
        better = run_method("smtt", "ids", inst, Options(time_limit=ids_time, seed=options.seed,
                                                         warm_start=inc, params={"ls_time": ids_time}))
        if better.objective < ub:
            inc, ub = better.solution, int(better.objective)
        info["ids_objective"] = ub
        if ub == 0:
            return _conclude(inst, inc, 0, None, True, solver, info)
    lr_time = within(float(options.params.get("lr_time", min(10.0, 0.25 * limit) if limit else 10.0)))
    lr = lagrangian_bound(inst, ub, lr_time)
    lb = min(max(lr["bound"], lower_bound(inst)), ub)  # the pairing bound when no DP pass fitted
    info.update(lagrangian_bound=lr["bound"], subgradient_iterations=lr["iterations"],
                lr_time=round(time.perf_counter() - t0, 3))
    if lr["sequence"] is not None and inst.tardiness(lr["sequence"]) < ub:
        sol = SmttSolution(lr["sequence"])
        return _conclude(inst, sol, inst.tardiness(sol.sequence), None, True, solver, info)
    if lb >= ub:
        return _conclude(inst, inc, ub, None, True, solver, info)
    # Fix variables against the incumbent, solve, and repeat with the better
    # incumbent (tighter domains) until proof or time-out; slices 1, 2, 4 ... s.
    # After the first slice without progress, state-space modifiers prune the
    # domains further (their domains stay valid for any smaller incumbent).
    mod_time = options.params.get("mod_time")  # default: 80 % of what is left (the rounds stop when stuck)
    mod_time = None if mod_time is None else float(mod_time)
    sol, rounds, slice_s, pruned = inc, 0, 1.0, None
    T, n = sum(inst.p), inst.n
    while True:
        if limit is not None and FIXING_RATE * T * n * n > limit - (time.perf_counter() - t0):
            info["fixing_skipped"] = "its estimated time does not fit the time left"
            rest = limit - (time.perf_counter() - t0) - IDS_MARGIN
            if rest > IDS_MARGIN:  # the time left improves the schedule (it returned after 0.9 s of 10 before)
                better = run_method("smtt", "ids", inst, Options(time_limit=rest, seed=options.seed,
                                                                 warm_start=sol, params={"ls_time": rest}))
                info["ids_after_skip"] = {"objective": int(better.objective), "time": round(better.runtime, 3)}
                if better.objective < ub:
                    sol, ub = better.solution, int(better.objective)
            return _conclude(inst, sol, lb, None, False, solver, info)
        domains = completion_domains(inst, lr["mu"], ub)
        if pruned is not None:
            domains = [[t for t in x if t in keep] for x, keep in zip(domains, pruned)]
        rounds += 1
        info.update(domain_values=sum(len(x) for x in domains), fixing_rounds=rounds)
        if any(not x for x in domains):
            return _conclude(inst, sol, ub, None, True, solver, info)
        left = None if limit is None else limit - (time.perf_counter() - t0)
        if left is not None and left <= 0.05:
            return _conclude(inst, sol, lb, None, False, solver, info)
        budget = left if left is None else min(left, slice_s)
        status, seq, value = solve_fixed(inst, domains, ub, lb, budget, options.workers, options.seed)
        info["cpsat_status"] = status
        if status == "INFEASIBLE":
            return _conclude(inst, sol, ub, None, True, solver, info)
        if seq is not None:
            sol, ub = SmttSolution(seq), value
            if status == "OPTIMAL" or ub <= lb:
                return _conclude(inst, sol, ub, None, True, solver, info)
        elif pruned is None and (mod_time is None or mod_time > 0):
            left = math.inf if limit is None else 0.8 * (limit - (time.perf_counter() - t0))
            if mod_time is not None:
                left = min(left, mod_time)
            mod = modifier_rounds(inst, lr["mu"], domains, ub, left,
                                  max_states=1 << int(options.params.get("mod_states", 24)),
                                  hard_limit=None if limit is None else limit - (time.perf_counter() - t0))
            info.update(modifiers=mod["modifiers"], modifier_rounds=mod["rounds"], modifier_bound=mod["bound"],
                        modifier_nodes=mod["nodes"])
            if mod["proven"]:
                return _conclude(inst, sol, ub, None, True, solver, info)
            if mod["sequence"] is not None:  # a relaxed path that is a schedule: optimal
                sol = SmttSolution(mod["sequence"])
                return _conclude(inst, sol, inst.tardiness(sol.sequence), None, True, solver, info)
            lb = max(lb, mod["bound"])
            pruned = [set(x) for x in mod["domains"]]
            slice_s = math.inf  # from here CP-SAT keeps its search instead of restarting it
        else:
            slice_s *= 2
