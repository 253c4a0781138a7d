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
multi-dimensional knapsack ``max Σ π_c a_c`` over the node's capacity, on π
rounded up to a 1e-6 grid: greedy fills first (by value per unit of each
resource), and when they find no improving pattern the exact depth-first
branch-and-bound :func:`pattern_search` (bounded by the Lagrangian DP
tables of :mod:`schedcert.models.podpack_pricing` and the fractional
knapsack bounds on each resource and on surrogate sums of the resources),
which also gives the certificate's μ_τ; the search's last incumbents
that price out enter with its best pattern (``EXTRA_COLUMNS``, completed
to maximal patterns: fewer iterations). Column generation stops as soon
as the certified bound reaches ⌊LP⌋. Early in the time budget a short
search (``QUICK_NODES``) is tried before the full one; where a node limit
stops a search, μ_τ is the smaller of the fractional bound and the
tables' bound at the root.

Certificate. For any π ≥ 0 and λ ≥ 0 (taken from the LP, which carries
big-M artificial slacks on the frozen rows so that it is always feasible), ``μ_τ`` = the
pricing optimum and ``ρ_c = max(0, w_c + λ_{s(c)} − π_c)`` (w_c = 1 on tier
t) form a feasible solution of the LP's dual over *all* patterns, so by
weak duality ``Σ m_c ρ_c + Σ N_τ μ_τ − Σ v_s λ_s`` bounds the tier, whatever
the LP's round-off; it is computed in exact rational arithmetic.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction

import highspy
import numpy as np
from numba import njit
from ortools.sat.python import cp_model

from schedcert.instances.podpack import PodpackInstance, allowed, demand
from schedcert.milp import new_highs
from schedcert.models.podpack_pricing import bound_tables, no_tables

SCALE = 10 ** 6
LP_GRACE = 1.0  # seconds an LP may run past PatternLP.deadline


def add_capacity(model: cp_model.CpModel, terms, capacity: int) -> None:
    """``Σ q · var ≤ capacity`` over `terms` = [(q, var, upper bound of var)],
    added only when it can bind (Σ q · upper bound > capacity)."""
    terms = [(q, v, ub) for q, v, ub in terms if q]
    if sum(q * ub for q, _, ub in terms) > capacity:
        model.add(cp_model.LinearExpr.weighted_sum([v for _, v, _ in terms], [q for q, _, _ in terms]) <= capacity)


def node_types(inst: PodpackInstance) -> list:
    """Lists of node indices that are interchangeable for every pod."""
    by_name = any(e[0] == "field" for p in inst.pods for t in p.affinity for e in t)
    groups = defaultdict(list)
    for n, nd in enumerate(inst.nodes):
        key = (tuple(sorted(nd.allocatable.items())), tuple(sorted(nd.labels.items())), nd.taints,
               nd.unschedulable, nd.name if by_name else None)
        groups[key].append(n)
    return list(groups.values())


_KEYS: dict = {}  # id(inst) -> (inst, its relaxed keys): computed once per snapshot


def relaxed_keys(inst: PodpackInstance, types: list) -> list:
    """Per pod, its relaxed class key (priority, demand vector, allowed type
    indices): a pod may go to any node of its current node's type, and to
    every type it passes the filters of, if its requests fit there.
    `types` must be :func:`node_types` of `inst` (the result is cached per
    snapshot)."""
    hit = _KEYS.get(id(inst))
    if hit is not None and hit[0] is inst:
        return hit[1]
    res = inst.resources
    names = [{inst.nodes[n].name for n in ns} for ns in types]
    keys = []
    for p in inst.pods:
        ok = tuple(k for k, ns in enumerate(types)
                   if (p.node in names[k] or allowed(inst.nodes[ns[0]], p))
                   and all(demand(p, r) <= inst.nodes[ns[0]].allocatable.get(r, 0) for r in res))
        keys.append((p.priority, tuple(demand(p, r) for r in res), ok))
    _KEYS.clear()
    _KEYS[id(inst)] = (inst, keys)
    return keys


def relaxed_classes(inst: PodpackInstance, types: list) -> list:
    """(priority, demand vector, size, allowed type indices) of each class of
    pods equal up to where they run now (:func:`relaxed_keys`)."""
    groups: dict = defaultdict(int)
    for key in relaxed_keys(inst, types):
        groups[key] += 1
    return [(prio, dem, m, ok) for (prio, dem, ok), m in groups.items()]


@dataclass
class DualCertificate:
    """A feasible solution of the pattern LP's dual over all patterns
    (module docstring), in units of 1/SCALE: class weights
    ``weights[c] = π_c · SCALE`` (integers), per node type ``ubs[k]`` ≥ the
    best ``Σ_c weights[c] a_c`` of any pattern of type k, and its value
    ``value`` (a Fraction; its floor bounds the tier). Used by
    :mod:`schedcert.models.podpack_master` to enumerate the patterns an
    optimal placement can use."""

    types: list
    classes: list
    caps: list
    members: list
    weights: list
    ubs: list
    value: Fraction
    tier_priority: int
    frozen: dict


def _greedy_patterns(cap, classes, members, weights) -> list:
    """Patterns filled greedily by weight per unit of each resource and of
    the largest normalised request (heuristic pricing; up to R + 1
    patterns)."""
    items = [c for c in members if weights[c] > 0]
    R = len(cap)
    keys = [lambda c, r=r: -weights[c] / max(classes[c][1][r], 1e-9) for r in range(R) if cap[r]]
    keys.append(lambda c: -weights[c] / max(max(d / cp for d, cp in zip(classes[c][1], cap) if cp), 1e-9))
    out = []
    for key in keys:
        rem, pat = list(cap), {}
        for c in sorted(items, key=key):
            dem = classes[c][1]
            a = min([classes[c][2]] + [rem[r] // dem[r] for r in range(R) if dem[r]])
            if a > 0:
                pat[c] = a
                rem = [rem[r] - a * dem[r] for r in range(R)]
        if pat:
            out.append(pat)
    return out


@njit(cache=True)
def fractional_bound(i, rem, W, D, M, orders):
    """Upper bound on ``Σ_{j >= i} W_j a_j`` with ``a_j <= M_j`` within `rem`:
    the smallest over resources r of the fractional (Dantzig) knapsack bound
    on resource r alone (items scanned by value per unit of r)."""
    best = np.inf
    for r in range(D.shape[1]):
        cap, val = float(rem[r]), 0.0
        for j in orders[r]:
            if j < i:
                continue
            if D[j, r] == 0:
                val += W[j] * M[j]
                continue
            take = min(float(M[j]), cap / D[j, r])
            val += W[j] * take
            cap -= take * D[j, r]
            if cap <= 0.0:
                break
        best = min(best, val)
    return best


@njit(cache=True)
def _fit(j, rem, D, M):
    """Most pods of item j that fit in `rem` (at most M_j)."""
    a = M[j]
    for r in range(D.shape[1]):
        if D[j, r] > 0:
            a = min(a, rem[r] // D[j, r])
    return a


@njit(cache=True)
def table_bound(i, rem, tabs, spec):
    """Upper bound on ``Σ_{j >= i} W_j a_j`` within `rem` from the suffix
    tables of :func:`schedcert.models.podpack_pricing.bound_tables`
    (inf without tables)."""
    best = np.inf
    for k in range(tabs.shape[0]):
        r1, g1, r2, g2, p, q = spec[k, 0], spec[k, 1], spec[k, 2], spec[k, 3], spec[k, 4], spec[k, 5]
        best = min(best, (p * (rem[r2] // g2) + tabs[k, i, rem[r1] // g1]) / q)
    return best


@njit(cache=True)
def pattern_search(W, D, M, cap, orders, need, R, limit, node_limit, collect, tabs, spec):
    """Depth-first search over count vectors a (``0 <= a_j <= M_j``,
    ``Σ D_jr a_j <= cap_r`` for every column r), counts tried largest
    first, pruned by the smaller of :func:`table_bound` (the Lagrangian
    dynamic-programming tables `tabs`, `spec` of
    :func:`schedcert.models.podpack_pricing.bound_tables`; pass an empty
    table for none) and :func:`fractional_bound`.

    ``collect=False``: the bounded multi-dimensional knapsack
    ``max Σ W_j a_j`` (branch-and-bound). ``collect=True``: every vector
    with ``Σ W a >= need`` that is maximal in the first `R` columns (no
    further pod of any class fits), at most `limit` of them.

    Returns (best value, its counts, array (found, n) of collected vectors,
    complete?); complete is False when `node_limit` nodes were visited or
    more than `limit` vectors exist.
    """
    n = D.shape[0]
    C = D.shape[1]
    best, bestc = 0, np.zeros(n, np.int64)
    out = np.zeros((limit, n), np.int64)
    found, nodes, value, i = 0, 0, 0, 0
    cnt = np.full(n, -1, np.int64)
    applied = np.zeros(n, np.int64)
    rem = cap.copy()
    cnt[0] = _fit(0, rem, D, M)
    while i >= 0:
        if cnt[i] < 0:
            i -= 1
            continue
        nodes += 1
        if nodes > node_limit:
            return best, bestc, out[:min(found, limit)], False
        a = cnt[i]
        cnt[i] -= 1
        for r in range(C):
            rem[r] += (applied[i] - a) * D[i, r]
        value += (a - applied[i]) * W[i]
        applied[i] = a
        if value > best:
            best = value
            bestc[:] = applied
            if not collect and limit > 0:  # the last `limit` incumbents (extra columns for the caller)
                out[found % limit] = applied
                found += 1
        if i == n - 1:
            if collect and value >= need:
                maximal = True
                for j in range(n):
                    if applied[j] < M[j]:
                        ok = True
                        for r in range(R):
                            if D[j, r] > rem[r]:
                                ok = False
                                break
                        if ok:
                            maximal = False
                            break
                if maximal:
                    if found == limit:
                        return best, bestc, out[:found], False
                    out[found] = applied
                    found += 1
            continue
        bound = value + table_bound(i + 1, rem, tabs, spec)
        if (collect and bound < need - 1e-6) or (not collect and bound <= best):
            continue
        bound = value + fractional_bound(i + 1, rem, W, D, M, orders)
        if (collect and bound < need - 1e-6) or (not collect and bound <= best):
            continue
        i += 1
        applied[i] = 0
        cnt[i] = _fit(i, rem, D, M)
    return best, bestc, out[:min(found, limit)], True


# surrogate multipliers per number of resources (cpu, memory, pods: the usual three)
SURROGATES = {3: [np.array(u, dtype=np.float64) for u in ((1, 1, 0), (1, 3, 0), (3, 1, 0), (1, 1, 1))]}


QUICK_NODES = 20_000  # node limit of the short pricing search tried before the full one ...
QUICK_SHARE = 0.7  # ... in the first 70 % of the time (then every iteration certifies)
NODE_LIMIT = 200_000  # first node limit of the full search; raised x8 (up to MAX_NODES) once columns run out
MAX_NODES = 64 * NODE_LIMIT
EXTRA_COLUMNS = 8  # the last incumbents of a pricing search that price out enter the LP too
TABLE_NODES = 10_000  # searches allowed fewer nodes go without the Lagrangian bound tables
NODES_PER_SECOND = 2_000_000  # rough speed of pattern_search, to keep a search within the time limit


class _Pricer:
    """Exact bounded knapsack ``max Σ k_c a_c`` (integer k) for one type
    (:func:`pattern_search`)."""

    def __init__(self, cap, classes, members):
        self.cap, self.classes, self.members = cap, classes, members
        self.hints: dict = {}  # multipliers of the last bound tables
        self.extra: list = []  # earlier incumbents of the last search

    def solve(self, weights, node_limit=NODE_LIMIT, certify=True):
        """(best value, a valid upper bound, its pattern {class: count}) in
        the integer units of `weights`. The bound equals the value unless
        `node_limit` stopped the search; then it is the smaller of the
        fractional bound and the Lagrangian DP bound of
        :mod:`schedcert.models.podpack_pricing`, or None without `certify`."""
        items = [c for c in self.members if weights[c] > 0]
        arr = knapsack_arrays(self.cap, self.classes, items, weights)
        if arr is None:
            return 0, 0, {}
        items, W, Db, M, capb, orders = arr
        if node_limit >= TABLE_NODES:
            tabs, spec = bound_tables(W, Db[:, :len(self.cap)], M, self.cap, self.hints)
        else:  # a short heuristic search (the dive's): the tables would cost more than they save
            tabs, spec = no_tables()
        best, counts, extra, exact = pattern_search(W, Db, M, capb, orders, 0, len(self.cap), EXTRA_COLUMNS,
                                                    node_limit, False, tabs, spec)
        pat = {items[j]: int(counts[j]) for j in range(len(items)) if counts[j]}
        self.extra = [{items[j]: int(v[j]) for j in range(len(items)) if v[j]}
                      for v in (_completed(v, Db, M, capb) for v in extra)]
        if exact:
            return int(best), int(best), pat
        if not certify:
            return int(best), None, pat
        bound = int(math.ceil(min(fractional_bound(0, capb, W, Db, M, orders), table_bound(0, capb, tabs, spec)))) + 1
        return int(best), max(int(best), bound), pat


def _completed(a, D, M, cap):
    """Count vector `a` with pods added, item by item, while they fit
    (an incumbent found inside the search need not be maximal)."""
    a = a.copy()
    rem = cap - a @ D
    for j in range(len(a)):
        if a[j] < M[j]:
            pos = D[j] > 0
            more = M[j] - a[j] if not pos.any() else min(M[j] - a[j], int((rem[pos] // D[j][pos]).min()))
            if more > 0:
                a[j] += more
                rem -= more * D[j]
    return a


def knapsack_arrays(cap, classes, items, weights):
    """Arrays of the knapsack over one node of capacity `cap` (list, one per
    resource) and the classes `items` that fit it: ``(items in branching
    order, W, D, M, cap, orders)`` with W the integer weights, M the most
    pods of each class one node takes, D the requests plus surrogate
    columns ``floor(S u_r d_r / cap_r)`` summed over r (capacity
    ``S Σ u_r``; implied by the real ones, so a relaxation used for bounds),
    `orders` per column the items by weight per unit. None if no class fits.
    """
    R = len(cap)
    pairs = []
    for c in items:
        dem, size = classes[c][1], classes[c][2]
        ub = min([size] + [cp // d for cp, d in zip(cap, dem) if d])
        if ub > 0:
            pairs.append((c, ub))
    if not pairs:
        return None
    W = np.array([weights[c] for c, _ in pairs], dtype=np.int64)
    D = np.array([classes[c][1] for c, _ in pairs], dtype=np.int64).reshape(len(pairs), R)
    M = np.array([ub for _, ub in pairs], dtype=np.int64)
    scale = np.array([max(cp, 1) for cp in cap], dtype=np.float64)
    order = np.argsort(-W / np.maximum((D / scale).max(axis=1), 1e-12), kind="stable")
    W, D, M = W[order], D[order], M[order]
    S, extra = 10 ** 6, []
    for u in SURROGATES.get(R, [np.ones(R)]):
        extra.append((np.floor(D * (S * u / scale)).astype(np.int64).sum(axis=1), int(S * u.sum())))
    Db = np.concatenate([D] + [col[:, None] for col, _ in extra], axis=1)
    capb = np.concatenate([np.array(cap, dtype=np.int64), np.array([c for _, c in extra], dtype=np.int64)])
    orders = np.empty((Db.shape[1], len(pairs)), dtype=np.int64)
    for r in range(Db.shape[1]):
        orders[r] = np.argsort(-W / np.maximum(Db[:, r], 1e-12), kind="stable")
    return [pairs[j][0] for j in order], W, Db, M, capb, orders


def relaxed_key(cl) -> tuple:
    """The :func:`relaxed_keys` key (priority, demand vector, allowed type
    indices) of a class of :func:`relaxed_classes`."""
    return cl[0], cl[1], cl[3]


def expand_patterns(patterns: list, copies, sizes) -> list:
    """One entry per node, ``(type, {class: pods})``, from pattern columns
    `patterns` [(type, {class: count})] used ``round(copies[j])`` times;
    pods beyond a class's size (``sizes[c]``) are dropped, first nodes first."""
    nodes, supply = [], defaultdict(int)
    for j, (k, pat) in enumerate(patterns):
        for _ in range(int(round(copies[j]))):
            nodes.append((k, dict(pat)))
            for c, a in pat.items():
                supply[c] += a
    for c, s in supply.items():
        extra = s - sizes[c]
        for _, pat in nodes:
            if extra <= 0:
                break
            take = min(extra, pat.get(c, 0))
            if take:
                pat[c] -= take
                extra -= take
    return [(k, {c: a for c, a in pat.items() if a}) for k, pat in nodes]


class PatternLP:
    """The restricted pattern LP of the module docstring for one tier, in
    HiGHS: rows = classes (``z_c − Σ a y ≤ 0``), node types
    (``Σ y ≤ N_τ``), frozen tiers (``Σ z ≥ v_s``, with big-M artificial
    slacks); columns = z_c, the slacks, then the patterns in
    ``self.patterns`` order (``(type, {class: count})``).

    Shared by :func:`tier_bound` (column generation and the certificate)
    and :mod:`schedcert.models.podpack_dive` (a primal heuristic that fixes
    pattern columns)."""

    def __init__(self, inst: PodpackInstance, tier_priority: int, frozen: dict, start_patterns: list):
        self.types = types = node_types(inst)
        self.classes = classes = relaxed_classes(inst, types)
        res = inst.resources
        self.caps = [[inst.nodes[ns[0]].allocatable.get(r, 0) for r in res] for ns in types]
        self.members = [[c for c, cl in enumerate(classes) if k in cl[3]] for k in range(len(types))]
        self.pricers = [_Pricer(self.caps[k], classes, self.members[k]) for k in range(len(types))]
        self.w = [1 if cl[0] == tier_priority else 0 for cl in classes]
        self.tier_priority, self.frozen = tier_priority, dict(frozen)
        self.deadline: float | None = None  # time.perf_counter() value at which an LP solve stops (solve)
        self.rows_frozen = [s for s in frozen if frozen[s] > 0]
        self.h = h = new_highs()
        inf = highspy.kHighsInf
        C = self.C = len(classes)
        for c, cl in enumerate(classes):  # z_c
            h.addVar(0, cl[2])
            h.changeColCost(c, self.w[c])
        for c in range(C):  # z_c − Σ a y ≤ 0
            h.addRow(-inf, 0, 1, np.array([c], dtype=np.int32), np.array([1.0]))
        for k, ns in enumerate(types):  # Σ y ≤ N_τ
            h.addRow(-inf, len(ns), 0, np.array([], dtype=np.int32), np.array([]))
        for s in self.rows_frozen:  # Σ_{c∈s} z_c ≥ v_s
            idx = [c for c, cl in enumerate(classes) if cl[0] == s]
            h.addRow(frozen[s], inf, len(idx), np.array(idx, dtype=np.int32), np.ones(len(idx)))
        big = float(sum(cl[2] for cl in classes) + 1)
        for j, s in enumerate(self.rows_frozen):  # artificial slack (cost -big): the first LP is always feasible
            h.addCol(-big, 0.0, inf, 1, np.array([C + len(types) + j], dtype=np.int32), np.array([1.0]))
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        self.first_pattern = C + len(self.rows_frozen)
        self.patterns: list = []
        index = {(cl[0], cl[1]): c for c, cl in enumerate(classes)}
        self._seen: set = set()
        for k, pat in start_patterns:
            self.add_pattern(k, {index[key]: v for key, v in pat.items() if key in index})
        for k in range(len(types)):  # singletons keep the LP feasible and bounded
            for c in self.members[k]:
                self.add_pattern(k, {c: 1})

    def add_pattern(self, k: int, pat: dict) -> bool:
        """Add pattern `pat` ({class: count}) of type `k` unless known."""
        key = (k, tuple(sorted(pat.items())))
        if key in self._seen or not pat:
            return False
        self._seen.add(key)
        rows = [c for c in pat] + [self.C + k]
        vals = [-float(pat[c]) for c in pat] + [1.0]
        self.h.addCol(0.0, 0.0, highspy.kHighsInf, len(rows), np.array(rows, dtype=np.int32), np.array(vals))
        self.patterns.append((k, dict(pat)))
        return True

    def solve(self) -> bool:
        """Re-optimise; True when the LP is optimal. Then ``self.lp`` is
        its value, ``self.duals`` the row duals (absolute values) and
        ``self.weights`` the class duals rounded up to 1/SCALE (integers).
        False also when HiGHS stops at ``self.deadline`` (a
        ``time.perf_counter()`` value, None: no limit; the caller sets it
        to the end of its whole time limit, not of a phase's share) or
        ``LP_GRACE`` seconds after it, whichever is later: one LP of a
        200-node tier with 1 600 pod classes took 37 s under a 10 s
        limit, while the LPs of the grid's tiers take milliseconds and
        those that end past the limit still prove tiers (cut at the limit,
        80 and 82 of the grid's 120 n = 16 scenarios were proven at 1 s,
        with a 1 s grace 83 and 86, as before the cut: 84 and 86)."""
        left = None if self.deadline is None else self.deadline - time.perf_counter()
        self.h.setOptionValue("time_limit", highspy.kHighsInf if left is None else max(LP_GRACE, left))
        self.h.run()
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return False
        self.lp = self.h.getInfo().objective_function_value
        self.duals = np.abs(np.array(self.h.getSolution().row_dual))
        self.weights = [int(np.ceil(self.duals[c] * SCALE)) for c in range(self.C)]
        return True

    def mu(self, k: int) -> float:
        """Dual of node type k's row."""
        return float(self.duals[self.C + k])

    def greedy_columns(self) -> bool:
        """Add the greedy patterns that price out (True if any)."""
        added = False
        for k in range(len(self.types)):
            for pat in _greedy_patterns(self.caps[k], self.classes, self.members[k], self.weights):
                if sum(self.weights[c] * a for c, a in pat.items()) / SCALE > self.mu(k) + 1e-9:
                    added |= self.add_pattern(k, pat)
        return added

    def priced_columns(self, node_limit: int, certify: bool = True, extra: bool = True):
        """Price every type with :func:`pattern_search` (at most
        `node_limit` nodes each) and add the best pattern, and with `extra`
        the search's last ``EXTRA_COLUMNS`` incumbents, where they price
        out (several columns per iteration: fewer iterations). Returns
        (added, per-type valid upper bounds on the pricing optimum or None
        without `certify`, all searches exact)."""
        added, found, exact = False, [], True
        for k in range(len(self.types)):
            val, ub, pat = self.pricers[k].solve(self.weights, node_limit, certify)
            exact = exact and ub is not None and ub <= val
            found.append(ub)
            for q in [pat] + (self.pricers[k].extra if extra else []):
                if q and sum(self.weights[c] * a for c, a in q.items()) / SCALE > self.mu(k) + 1e-9:
                    added |= self.add_pattern(k, q)
        return added, (found if certify else None), exact

    def certificate(self, ubs) -> Fraction:
        """Value of the dual solution (π, λ from the LP, μ_τ = ``ubs``):
        the module docstring's certificate, exactly."""
        pi = [Fraction(wt, SCALE) for wt in self.weights]
        nt = len(self.types)
        lam = {s: Fraction(int(np.floor(self.duals[self.C + nt + j] * SCALE)), SCALE)
               for j, s in enumerate(self.rows_frozen)}
        cert = Fraction(0)
        for c, cl in enumerate(self.classes):
            cert += cl[2] * max(Fraction(0), self.w[c] + lam.get(cl[0], 0) - pi[c])
        cert -= sum(self.frozen[s] * lam[s] for s in self.rows_frozen)
        for k, ns in enumerate(self.types):
            cert += len(ns) * Fraction(ubs[k], SCALE)
        return cert


def tier_bound(inst: PodpackInstance, tier_priority: int, frozen: dict, start_patterns: list,
               time_limit: float, lp: "PatternLP | None" = None) -> tuple[int | None, dict, "DualCertificate | None"]:
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
    lp : PatternLP, optional
        Restricted LP to grow, built for this tier and `frozen` (built from
        the other arguments if None); on return it holds every generated
        column.

    Returns
    -------
    (bound or None, info, certificate or None)
        ``floor`` of the best certified value (None if none was certified)
        and the :class:`DualCertificate` it came from.
    """
    t0 = time.perf_counter()
    lp = lp if lp is not None else PatternLP(inst, tier_priority, frozen, start_patterns)
    best, best_cert, iters, value, nodes = None, None, 0, None, NODE_LIMIT
    while True:
        iters += 1
        if not lp.solve():
            break
        value = lp.lp
        # cheap greedy pricing first, then (early on) a short knapsack search
        if lp.greedy_columns() and time.perf_counter() - t0 < time_limit:
            continue
        if best is not None and time.perf_counter() - t0 < QUICK_SHARE * time_limit \
                and lp.priced_columns(QUICK_NODES, False)[0]:
            continue  # the full search (a certificate) can wait
        # a search stopped by its node limit still certifies (by its bounds), its best pattern still enters
        budget = max(QUICK_NODES, int(NODES_PER_SECOND * (time_limit - (time.perf_counter() - t0))))
        added, ubs, exact = lp.priced_columns(min(nodes, budget))
        cert = lp.certificate(ubs)
        if best is None or cert < best:
            best = cert
            best_cert = DualCertificate(lp.types, lp.classes, lp.caps, lp.members, list(lp.weights), ubs, cert,
                                        lp.tier_priority, dict(lp.frozen))
        if time.perf_counter() - t0 > time_limit:
            break
        if best.numerator // best.denominator <= math.floor(value + 1e-9):
            break  # the bound cannot fall below ⌊LP⌋
        # no column at the LP's duals: done when the search was exact
        if not added and (exact or nodes >= MAX_NODES):
            break
        if not added:  # the LP is optimal but a capped search left the certificate loose: search longer
            nodes *= 8
    info = {"iterations": iters, "columns": len(lp.patterns), "types": len(lp.types), "classes": lp.C,
            "lp": value, "time": round(time.perf_counter() - t0, 3)}
    if best is None:
        return None, info, None
    return int(best.numerator // best.denominator), info, best_cert
