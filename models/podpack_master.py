"""Exact tier step for pod packing: reduced-cost pattern enumeration.

The pattern LP of :mod:`schedcert.models.podpack_bound` bounds a tier's
placed pods by the value D of a dual solution (π_c per class, μ_τ per node
type, ρ_c, λ_s). Write ``rc_p = μ_τ − Σ_c π_c a_cp ≥ 0`` for the reduced
cost of a pattern p of type τ. For any placement (integer z, y) of the
relaxation, weak duality gives, term by term,

    Σ_{c ∈ t} z_c  ≤  D − Σ_p y_p rc_p − (further non-negative slacks),

so a placement with at least `target` pods of the tier uses only patterns
with ``rc_p ≤ D − target`` (the argument of reduced-cost fixing, e.g.
Nemhauser & Wolsey 1988, §I.2.7, and of column enumeration in
branch-and-price, Baldacci, Christofides & Mingozzi 2008). We enumerate
those patterns over the classes of the tier and the tiers above it (lower
tiers never help a tier's count); adding a pod never raises ``rc_p``
(π ≥ 0), so maximal patterns suffice. An integer program over exactly
that set (HiGHS) either finds a placement with `target` pods — optimal, as
``target = ⌊D⌋`` bounds the tier — or proves that none exists, and the
step repeats with ``target − 1`` and a larger set, down to the incumbent.
The relaxation lets a pod run on any node of a type it may use, so a
found packing is mapped to real nodes by the caller and checked there.

All arithmetic on π and μ is in integers (units of 1/SCALE, as the
certificate stores them), so no pattern is dropped by round-off.
"""

from __future__ import annotations

import math
import time

import highspy
import numpy as np

from schedcert.milp import new_highs
from schedcert.models.podpack_bound import (NODES_PER_SECOND, SCALE, DualCertificate, expand_patterns, knapsack_arrays,
                                            pattern_search, relaxed_key)
from schedcert.models.podpack_pricing import bound_tables


def _tier_classes(cert: DualCertificate, frozen: dict) -> list:
    """Indices of the classes of the tier and of the frozen tiers above."""
    keep = {cert.tier_priority} | set(frozen)
    return [c for c, cl in enumerate(cert.classes) if cl[0] in keep]




def enumerate_patterns(cert: DualCertificate, k: int, classes: list, slack: int, limit: int,
                       deadline: float) -> list | None:
    """Maximal patterns of node type `k` over `classes` with
    ``ubs[k] − Σ weights_c a_c ≤ slack`` (units of 1/SCALE).

    Returns list of {class: count}, or None when more than `limit` patterns
    exist or the search would run past `deadline` (a ``time.perf_counter()``
    value; then the set would be incomplete and proves nothing).
    """
    members = set(cert.members[k])
    arr = knapsack_arrays(cert.caps[k], cert.classes, [c for c in classes if c in members], cert.weights)
    if arr is None:
        return []  # no pod fits such a node: only the empty pattern
    items, W, D, M, cap, orders = arr
    budget = int(NODES_PER_SECOND * max(0.0, deadline - time.perf_counter()))
    R = len(cert.caps[k])
    tabs, spec = bound_tables(W, D[:, :R], M, cert.caps[k])
    _, _, vecs, complete = pattern_search(W, D, M, cap, orders, cert.ubs[k] - slack, R, limit, budget, True,
                                          tabs, spec)
    if not complete:
        return None
    return [{items[j]: int(v[j]) for j in range(len(items)) if v[j]} for v in vecs]


def _feasible_packing(cert: DualCertificate, frozen: dict, classes: list, patterns: list, target: int,
                      deadline: float):
    """Integer program over `patterns` [(type, {class: count})] (HiGHS):
    place at least `target` pods of the tier and the frozen counts above
    it. Returns ('found', per node [(type, {class: count})]), ('none', None)
    when proven impossible, or ('unknown', None) at the deadline."""
    h = new_highs()
    h.setOptionValue("time_limit", max(0.01, deadline - time.perf_counter()))
    inf = highspy.kHighsInf
    pos = {c: i for i, c in enumerate(classes)}
    for c in classes:  # z_c
        h.addVar(0, cert.classes[c][2])
    for i in range(len(classes)):  # z_c − Σ_p a_cp y_p ≤ 0
        h.addRow(-inf, 0, 1, np.array([i], dtype=np.int32), np.array([1.0]))
    for ns in cert.types:  # Σ_{p of τ} y_p ≤ N_τ
        h.addRow(-inf, len(ns), 0, np.array([], dtype=np.int32), np.array([]))
    tier = [pos[c] for c in classes if cert.classes[c][0] == cert.tier_priority]
    h.addRow(target, inf, len(tier), np.array(tier, dtype=np.int32), np.ones(len(tier)))
    for s, v in frozen.items():
        idx = [pos[c] for c in classes if cert.classes[c][0] == s]
        if v > 0:
            h.addRow(v, inf, len(idx), np.array(idx, dtype=np.int32), np.ones(len(idx)))
    for k, pat in patterns:
        rows = [pos[c] for c in pat] + [len(classes) + k]
        vals = [-float(a) for a in pat.values()] + [1.0]
        h.addCol(0.0, 0.0, inf, len(rows), np.array(rows, dtype=np.int32), np.array(vals))
    n = h.getNumCol()
    h.changeColsIntegrality(n, np.arange(n, dtype=np.int32),
                            np.full(n, highspy.HighsVarType.kInteger.value, dtype=np.uint8))
    h.run()
    if h.getModelStatus() == highspy.HighsModelStatus.kInfeasible:
        return "none", None
    if h.getInfo().primal_solution_status != 2:  # no feasible point within the time
        return "unknown", None
    col = h.getSolution().col_value
    nodes = expand_patterns(patterns, col[len(classes):], {c: cert.classes[c][2] for c in classes})
    return "found", nodes


def exact_tier(cert: DualCertificate, incumbent: int, time_limit: float, limit: int = 1500):
    """Close a tier between the incumbent and ``⌊D⌋`` (module docstring).

    Parameters
    ----------
    cert : DualCertificate
        From :func:`~schedcert.models.podpack_bound.tier_bound`.
    incumbent : int
        Pods of the tier a known placement reaches.
    time_limit : float
        Seconds.
    limit : int
        Most patterns enumerated per node type and target.

    Returns
    -------
    (bound, packing, info)
        `bound`: a proven upper bound on the tier (= `incumbent` when the
        incumbent is proven optimal); `packing`: None, or per node
        ``(type, {relaxed class key: pods})`` (keys as in
        :func:`~schedcert.models.podpack_bound.relaxed_keys`) placing `bound`
        pods of the tier in the relaxation.
    """
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    frozen = cert.frozen
    classes = _tier_classes(cert, frozen)
    value = cert.value * SCALE
    target = int(cert.value.numerator // cert.value.denominator)
    info = {"targets": [], "patterns": 0}
    while target > incumbent:
        slack = int(math.floor(value - target * SCALE))
        patterns = []
        for k in range(len(cert.types)):
            got = enumerate_patterns(cert, k, classes, slack, limit, deadline)
            if got is None:
                info.update(stopped="pattern limit or time", time=round(time.perf_counter() - t0, 3))
                return target, None, info
            patterns += [(k, p) for p in got]
        info["patterns"] = len(patterns)
        outcome, packing = _feasible_packing(cert, frozen, classes, patterns, target, deadline)
        info["targets"].append([target, len(patterns), outcome])
        if outcome == "found":
            info["time"] = round(time.perf_counter() - t0, 3)
            keyed = [(k, {relaxed_key(cert.classes[c]): a for c, a in pat.items()})
                     for k, pat in packing]
            return target, keyed, info
        if outcome == "unknown":
            break
        target -= 1
    info["time"] = round(time.perf_counter() - t0, 3)
    return target, None, info
