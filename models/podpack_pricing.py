"""Upper bounds on a pattern-pricing knapsack by Lagrangian relaxation and
dynamic programming (for the pricing search and the certificate of
:mod:`schedcert.models.podpack_bound`).

The pricing problem of a node type is the bounded multi-dimensional
knapsack ``max Σ_j W_j a_j`` s.t. ``Σ_j D_jr a_j ≤ cap_r`` for every
resource r, ``0 ≤ a_j ≤ M_j`` integer. Keep one resource r1 (the one whose
capacity, divided by the gcd of its requests, is smallest: CPU millicores
on the usual nodes) among those that can bind (``Σ_j D_jr M_j > cap_r``, and
not implied by another resource's capacity: the 110 pod slots of a node
whose CPU holds at most 45 pods are left out), relax a second one r2 (the most over-subscribed)
with a multiplier λ ≥ 0 and drop the rest (a relaxation, so still an upper
bound):

    U(λ) = λ cap_r2 + max { Σ_j (W_j − λ D_j,r2) a_j : Σ_j D_j,r1 a_j ≤ cap_r1, 0 ≤ a ≤ M }

Every λ ≥ 0 gives ``U(λ) ≥`` the knapsack optimum (Lagrangian relaxation;
e.g. Martello & Toth 1990, *Knapsack Problems*, §2.4 and §9.3 for the
two-constraint case). The inner problem is a one-dimensional bounded
knapsack, solved exactly by dynamic programming over the capacity with
binary splitting of the copies (O(cap · Σ log M_j)). Because it keeps
integrality in r1, U is tighter than the LP bound: on n = 8, 8 pods/node,
U = 5.347 where the LP gives 5.400 and the optimum is 5.332 (a depth-first
search needs 1.2 s to prove that; the 25 DP evaluations here take about 7 ms).

λ = p / q with integer p and q = ``LAMBDA_DENOMINATOR``, so all arithmetic is
in integers and the bound is exact; p is chosen by golden-section search
on the convex function U.

Inside the branch-and-bound. Run the same DP from the last item back and
keep every stage (:func:`suffix_tables`): ``F[i, c]`` bounds what items
i, i+1, ... can add within capacity c of r1, so at a search node with
capacities ``rem`` left, ``(p ⌊rem_r2⌋ + F[i, ⌊rem_r1⌋]) / q`` bounds the
rest in O(1) (:func:`bound_tables`, one table with CPU kept and one with
memory kept; λ fixed at the root's best, which is valid at every node).
Column generation changes W little from one call to the next, so the
golden-section search restarts around the last p (``WARM_EVALUATIONS``).
On n = 16, 8 pods/node (60 classes) a search that the fractional bounds
alone had not finished in 2.6–5 s ends in 0.01–0.09 s.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

LAMBDA_DENOMINATOR = 1 << 10
EVALUATIONS = 25
WARM_EVALUATIONS = 6


@njit(cache=True)
def _add_item(f, value, weight, copies, C):
    """One stage of the bounded knapsack DP over capacities 0..C, in place:
    up to `copies` items of `value` and `weight` (binary splitting of the
    copies into 0/1 items; a non-positive value adds nothing)."""
    if value <= 0 or weight > C:
        return
    left, piece = copies, 1
    while left > 0:
        take = min(piece, left)
        left -= take
        piece *= 2
        wt, v = weight * take, value * take
        for c in range(C, wt - 1, -1):
            if f[c - wt] + v > f[c]:
                f[c] = f[c - wt] + v


@njit(cache=True)
def _knapsack_1d(values, weights, M, C):
    """``max Σ values_j a_j`` s.t. ``Σ weights_j a_j ≤ C``, ``0 ≤ a_j ≤ M_j``
    (int64; items with a non-positive value are skipped)."""
    f = np.zeros(C + 1, dtype=np.int64)
    for j in range(len(values)):
        _add_item(f, values[j], weights[j], M[j], C)
    return f[C]


@njit(cache=True)
def suffix_tables(values, weights, M, C):
    """``F[i, c] = max Σ_{j >= i} values_j a_j`` s.t. ``Σ_{j >= i} weights_j a_j ≤ c``,
    ``0 ≤ a_j ≤ M_j``, for every suffix i and capacity c ≤ C (int64, shape
    (n + 1, C + 1); items with a non-positive value are skipped). The
    knapsack's dynamic program run from the last item back, every stage kept."""
    n = len(values)
    F = np.zeros((n + 1, C + 1), dtype=np.int64)
    for j in range(n - 1, -1, -1):
        F[j] = F[j + 1]
        _add_item(F[j], values[j], weights[j], M[j], C)
    return F


def _implied(d, e, M, cap_d, cap_e) -> bool:
    """Whether ``Σ e_j a_j ≤ cap_e`` (0 ≤ a ≤ M) implies ``Σ d_j a_j ≤ cap_d``:
    the fractional knapsack ``max Σ d_j a_j`` within cap_e (items by d_j / e_j;
    an item with e_j = 0 taken whole) stays within cap_d. E.g. the pod count
    of 110 is implied by CPU when 110 of the smallest pods exceed the node."""
    free = sum(int(d[j]) * int(M[j]) for j in range(len(d)) if e[j] == 0)
    left, total = float(cap_e), float(free)
    for j in sorted((j for j in range(len(d)) if e[j] > 0), key=lambda j: -d[j] / e[j]):
        take = min(float(M[j]), left / e[j])
        total += take * d[j]
        left -= take * e[j]
        if left <= 0:
            break
    return total <= cap_d


def _relaxation(W, D, M, cap):
    """The resources of the module docstring: None when no resource can
    bind; else ``(C1, r1, g1, r2, g2)`` (r2 = None when only r1 can bind)
    with C1 the kept resource's capacity in units of its gcd g1."""
    scaled = []  # the resources that can bind, with capacity and requests divided by their gcd
    for r in range(D.shape[1]):
        if int(np.sum(D[:, r] * M)) > int(cap[r]) and not any(
                _implied(D[:, r], D[:, o], M, int(cap[r]), int(cap[o])) for o in range(D.shape[1]) if o != r):
            g = math.gcd(*[int(x) for x in D[:, r] if x])
            scaled.append((int(cap[r]) // g, r, g))
    if not scaled:
        return None
    C1, r1, g1 = min(scaled)
    others = [(float(np.sum(D[:, r] * M)) / max(int(cap[r]), 1), r, g) for _, r, g in scaled if r != r1]
    if not others:
        return C1, r1, g1, None, 1
    _, r2, g2 = max(others)
    return C1, r1, g1, r2, g2


def _best_multiplier(W, D, M, cap, rel, hint=None):
    """(q · min U, p) over the λ = p / q tried by golden-section search:
    over [0, max W_j / w2_j] in ``EVALUATIONS`` steps, or with a `hint` (a
    p that was good for similar W) over [2 hint / 3, 3 hint / 2] in
    ``WARM_EVALUATIONS``."""
    C1, r1, g1, r2, g2 = rel
    w1, w2, C2 = D[:, r1] // g1, D[:, r2] // g2, int(cap[r2]) // g2
    q = LAMBDA_DENOMINATOR

    def U(p):  # q · U(p / q), an integer
        return p * C2 + int(_knapsack_1d(q * W - p * w2, w1, M, C1))

    # beyond λ = max W_j / w2_j no item with w2_j > 0 has a positive value, and U only grows
    if hint is None:
        a, b, steps = 0, max(1, math.ceil(q * max(W[j] / w2[j] for j in range(len(W)) if w2[j]))), EVALUATIONS
    else:
        a, b, steps = 2 * hint // 3, 3 * hint // 2 + 3, WARM_EVALUATIONS
    seen = {a: U(a), b: U(b)}
    phi = (math.sqrt(5) - 1) / 2
    x1, x2 = int(round(b - phi * (b - a))), int(round(a + phi * (b - a)))
    seen[x1], seen[x2] = U(x1), U(x2)
    for _ in range(steps):
        if b - a <= 2:
            break
        if seen[x1] <= seen[x2]:
            b, x2 = x2, x1
            x1 = int(round(b - phi * (b - a)))
        else:
            a, x1 = x1, x2
            x2 = int(round(a + phi * (b - a)))
        for x in (x1, x2):
            if x not in seen:
                seen[x] = U(x)
    p = min(seen, key=lambda x: (seen[x], x))
    return seen[p], p


TABLE_LIMIT = 1 << 22  # most entries of the suffix tables of one pricing search
TABLES = 2


def no_tables():
    """The empty ``(F, spec)`` of :func:`bound_tables`: no table bound."""
    return np.zeros((0, 1, 1), np.int64), np.zeros((0, 6), np.int64)


def bound_tables(W, D, M, cap, hints=None):
    """Suffix tables for the branch-and-bound of
    :func:`schedcert.models.podpack_bound.pattern_search`: with λ = p / q the
    best multiplier found at the root, ``F = suffix_tables(q W − p w2, w1, M, C1)``
    bounds what items i.. can add within remaining capacities ``rem`` by
    ``(p · ⌊rem_r2 / g2⌋ + F[i, ⌊rem_r1 / g1⌋]) / q`` (the module docstring's
    U(λ) on the sub-knapsack; any λ ≥ 0 is valid there).

    Returns ``(F, spec)``: F int64 (K, n + 1, C1 + 1) and spec int64 (K, 6) =
    (r1, g1, r2, g2, p, q) per table; K = 0 (F of shape (0, 1, 1)) when no
    table applies (no resource binds, or F would exceed ``TABLE_LIMIT``
    entries). r2 = r1 and p = 0 when only r1 can bind (then F is exact).
    `hints` (a dict, updated): the p last chosen per (r1, r2), to start the
    multiplier search from when W changed little (column generation).
    """
    W, D, M = np.asarray(W, np.int64), np.asarray(D, np.int64), np.asarray(M, np.int64)
    rel = _relaxation(W, D, M, cap) if len(W) else None
    if rel is None or (len(W) + 1) * (rel[0] + 1) > TABLE_LIMIT:
        return no_tables()
    C1, r1, g1, r2, g2 = rel
    if r2 is None:
        F = suffix_tables(W, D[:, r1] // g1, M, C1)
        return F[None], np.array([[r1, g1, r1, 1, 0, 1]], np.int64)
    q = LAMBDA_DENOMINATOR
    tabs, spec = [], []
    C2 = int(cap[r2]) // g2
    for (Ck, rk, gk, rr, gr) in ((C1, r1, g1, r2, g2), (C2, r2, g2, r1, g1)):
        if (len(W) + 1) * (Ck + 1) > TABLE_LIMIT // TABLES:
            continue
        key = (rk, rr)
        _, p = _best_multiplier(W, D, M, cap, (Ck, rk, gk, rr, gr), None if hints is None else hints.get(key))
        if hints is not None:
            hints[key] = p
        tabs.append(suffix_tables(q * W - p * (D[:, rr] // gr), D[:, rk] // gk, M, Ck))
        spec.append([rk, gk, rr, gr, p, q])
        if len(tabs) == TABLES:
            break
    if not tabs:
        return no_tables()
    F = np.zeros((len(tabs), len(W) + 1, max(t.shape[1] for t in tabs)), np.int64)
    for k, t in enumerate(tabs):
        F[k, :, :t.shape[1]] = t
    return F, np.array(spec, np.int64)
