"""Pattern (Gilmore–Gomory) upper bound on a priority tier's placed pods,
by column generation, with a rigorous dual certificate.

Relaxation. Forget where pods run now (every pod may go anywhere it passes
the filters; a relaxation of the podpack constraints, so its optimum bounds
the real one). Group interchangeable nodes into types τ (equal allocatable,
labels, taints, schedulability) of ``N_τ`` nodes, pods into classes c of
``m_c`` identical pods. A *pattern* p of type τ is a multiset ``a_p`` of
classes that fits one node of τ. The LP (Gilmore & Gomory 1961, as for
cutting stock) for tier t with the tiers above frozen at ``v_s``::

    max Σ_{c ∈ t} z_c
        z_c − Σ_p a_cp y_p ≤ 0        (π_c ≥ 0)
        Σ_{p of τ} y_p ≤ N_τ          (μ_τ ≥ 0)
        Σ_{c ∈ s} z_c ≥ v_s, s < t    (λ_s ≥ 0)
        0 ≤ z_c ≤ m_c, y ≥ 0

Column generation prices a pattern per type with a bounded
multi-dimensional knapsack ``max Σ π_c a_c`` over the node's capacity
(CP-SAT, exact, on π rounded up to a 1e-6 grid).

Certificate. For any π ≥ 0 and λ ≥ 0 (taken from the LP, which carries
big-M artificial slacks on the frozen rows so that it is always feasible), ``μ_τ`` = the
pricing optimum and ``ρ_c = max(0, w_c + λ_{s(c)} − π_c)`` (w_c = 1 on tier
t) form a feasible solution of the LP's dual over *all* patterns, so by
weak duality ``Σ m_c ρ_c + Σ N_τ μ_τ − Σ v_s λ_s`` bounds the tier, whatever
the LP's round-off; it is computed in exact rational arithmetic.
"""

from __future__ import annotations

import time
from collections import defaultdict
from fractions import Fraction

import highspy
import numpy as np
from ortools.sat.python import cp_model

from schedcert.instances.podpack import PodpackInstance, allowed, demand

SCALE = 10 ** 6
PRICING_TIME = 0.05  # seconds per pricing call


def add_capacity(model: cp_model.CpModel, terms, capacity: int) -> None:
    """``Σ q · var ≤ capacity`` over `terms` = [(q, var, upper bound of var)],
    added only when it can bind (Σ q · upper bound > capacity)."""
    terms = [(q, v, ub) for q, v, ub in terms if q]
    if sum(q * ub for q, _, ub in terms) > capacity:
        model.add(sum(q * v for q, v, _ in terms) <= capacity)


def node_types(inst: PodpackInstance) -> list:
    """Lists of node indices that are interchangeable for every pod."""
    by_name = any(e[0] == "field" for p in inst.pods for t in p.affinity for e in t)
    groups = defaultdict(list)
    for n, nd in enumerate(inst.nodes):
        key = (tuple(sorted(nd.allocatable.items())), tuple(sorted(nd.labels.items())), nd.taints,
               nd.unschedulable, nd.name if by_name else None)
        groups[key].append(n)
    return list(groups.values())


def relaxed_classes(inst: PodpackInstance, types: list) -> list:
    """(priority, demand vector, size, allowed type indices) of each class of
    pods equal up to where they run now."""
    res = inst.resources
    groups: dict = defaultdict(int)
    names = [{inst.nodes[n].name for n in ns} for ns in types]
    for p in inst.pods:
        # a pod may go to any node of its current node's type, and to every
        # type it passes the filters of, if its requests fit there
        ok = tuple(k for k, ns in enumerate(types)
                   if (p.node in names[k] or allowed(inst.nodes[ns[0]], p))
                   and all(demand(p, r) <= inst.nodes[ns[0]].allocatable.get(r, 0) for r in res))
        groups[(p.priority, tuple(demand(p, r) for r in res), ok)] += 1
    return [(prio, dem, m, ok) for (prio, dem, ok), m in groups.items()]


class _Pricer:
    """Exact bounded knapsack ``max Σ k_c a_c`` (integer k) for one type."""

    def __init__(self, cap, classes, members):
        self.cap, self.classes, self.members = cap, classes, members

    def solve(self, weights, time_limit):
        m = cp_model.CpModel()
        a, ubs = {}, {}
        for c in self.members:
            _, dem, size, _ = self.classes[c]
            ub = min([size] + [cap // d for cap, d in zip(self.cap, dem) if d])
            if ub > 0 and weights[c] > 0:
                a[c], ubs[c] = m.new_int_var(0, ub, ""), ub
        if not a:
            return 0, 0, {}
        for r, capr in enumerate(self.cap):
            add_capacity(m, [(self.classes[c][1][r], v, ubs[c]) for c, v in a.items()], capr)
        m.maximize(sum(weights[c] * v for c, v in a.items()))
        s = cp_model.CpSolver()
        s.parameters.num_workers = 1
        s.parameters.max_time_in_seconds = max(0.01, time_limit)
        st = s.solve(m)
        if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # no solution: no trustworthy bound either
            return None, None, {}
        pat = {c: s.value(v) for c, v in a.items() if s.value(v)}
        return int(round(s.objective_value)), int(np.floor(s.best_objective_bound + 1e-9)), pat


def tier_bound(inst: PodpackInstance, tier_priority: int, frozen: dict, start_patterns: list,
               time_limit: float) -> tuple[int | None, dict]:
    """Upper bound on the placed pods of `tier_priority` (module docstring).

    Parameters
    ----------
    frozen : dict
        priority -> pods of that higher tier that must be placed.
    start_patterns : list of (type index, {class key: count})
        Initial columns, e.g. the incumbent's nodes (keys as returned by
        :func:`relaxed_classes`: (priority, demand vector)).
    time_limit : float
        Seconds; on time-out the best certificate found so far is returned.

    Returns
    -------
    (bound or None, info)
        ``floor`` of the best certified value (None if none was certified).
    """
    t0 = time.perf_counter()
    types = node_types(inst)
    classes = relaxed_classes(inst, types)
    res = inst.resources
    caps = [[inst.nodes[ns[0]].allocatable.get(r, 0) for r in res] for ns in types]
    members = [[c for c, cl in enumerate(classes) if k in cl[3]] for k in range(len(types))]
    pricers = [_Pricer(caps[k], classes, members[k]) for k in range(len(types))]
    w = [1 if cl[0] == tier_priority else 0 for cl in classes]
    rows_frozen = [s for s in frozen if frozen[s] > 0]

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    C = len(classes)
    for c, cl in enumerate(classes):  # z_c
        h.addVar(0, cl[2])
        h.changeColCost(c, w[c])
    for c in range(C):  # z_c − Σ a y ≤ 0
        h.addRow(-inf, 0, 1, np.array([c], dtype=np.int32), np.array([1.0]))
    for k, ns in enumerate(types):  # Σ y ≤ N_τ
        h.addRow(-inf, len(ns), 0, np.array([], dtype=np.int32), np.array([]))
    for s in rows_frozen:  # Σ_{c∈s} z_c ≥ v_s
        idx = [c for c, cl in enumerate(classes) if cl[0] == s]
        h.addRow(frozen[s], inf, len(idx), np.array(idx, dtype=np.int32), np.ones(len(idx)))
    big = float(sum(cl[2] for cl in classes) + 1)
    for j, s in enumerate(rows_frozen):  # artificial slack (cost -big): the first LP is always feasible
        h.addCol(-big, 0.0, inf, 1, np.array([C + len(types) + j], dtype=np.int32), np.array([1.0]))
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    index = {(cl[0], cl[1]): c for c, cl in enumerate(classes)}
    seen = set()

    def add_pattern(k, pat):
        key = (k, tuple(sorted(pat.items())))
        if key in seen or not pat:
            return False
        seen.add(key)
        rows = [c for c in pat] + [C + k]
        vals = [-float(pat[c]) for c in pat] + [1.0]
        h.addCol(0.0, 0.0, inf, len(rows), np.array(rows, dtype=np.int32), np.array(vals))
        return True

    for k, pat in start_patterns:
        add_pattern(k, {index[key]: v for key, v in pat.items() if key in index})
    for k in range(len(types)):  # singletons keep the LP feasible and bounded
        for c in members[k]:
            add_pattern(k, {c: 1})
    best, iters, lp = None, 0, None
    while True:
        iters += 1
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            break
        lp = h.getInfo().objective_function_value
        sol = h.getSolution()
        duals = np.abs(np.array(sol.row_dual))
        pi = [Fraction(int(np.ceil(duals[c] * SCALE)), SCALE) for c in range(C)]
        lam = {s: Fraction(int(np.floor(duals[C + len(types) + j] * SCALE)), SCALE) for j, s in enumerate(rows_frozen)}
        weights = [int(p * SCALE) for p in pi]
        cert = Fraction(0)
        for c, cl in enumerate(classes):
            cert += cl[2] * max(Fraction(0), w[c] + lam.get(cl[0], 0) - pi[c])
        cert -= sum(frozen[s] * lam[s] for s in rows_frozen)
        added = False
        for k, ns in enumerate(types):
            left = time_limit - (time.perf_counter() - t0)
            # a capped pricing call: its bound still certifies, its best pattern still enters
            val, ub, pat = pricers[k].solve(weights, min(PRICING_TIME, max(0.01, left / max(1, len(types)))))
            if val is None:  # the trivial bound: every pod of every member class on one node
                ub = sum(weights[c] * classes[c][2] for c in members[k])
            cert += len(ns) * Fraction(ub, SCALE)
            mu = float(duals[C + k])
            if pat and val / SCALE > mu + 1e-9:
                added |= add_pattern(k, pat)
        if best is None or cert < best:
            best = cert
        if not added or time.perf_counter() - t0 > time_limit:
            break
    info = {"iterations": iters, "columns": len(seen), "types": len(types), "classes": C,
            "lp": lp, "time": round(time.perf_counter() - t0, 3)}
    if best is None:
        return None, info
    return int(best.numerator // best.denominator), info
