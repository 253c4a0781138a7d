"""Upper bound on a pattern-pricing knapsack by Lagrangian relaxation and
dynamic programming (for the certificate of
:mod:`schedcert.models.podpack_bound`).

The pricing problem of a node type is the bounded multi-dimensional
knapsack ``max Σ_j W_j a_j`` s.t. ``Σ_j D_jr a_j ≤ cap_r`` for every
resource r, ``0 ≤ a_j ≤ M_j`` integer. Keep one resource r1 (the one whose
capacity, divided by the gcd of its requests, is smallest: CPU millicores
on the usual nodes) among those that can bind (``Σ_j D_jr M_j > cap_r``;
the others are implied), relax a second one r2 (the most over-subscribed)
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
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

LAMBDA_DENOMINATOR = 1 << 10
DP_CAPACITY_LIMIT = 1 << 20  # larger reduced capacities: no bound (the caller keeps its own)
EVALUATIONS = 25


@njit(cache=True)
def _knapsack_1d(values, weights, M, C):
    """``max Σ values_j a_j`` s.t. ``Σ weights_j a_j ≤ C``, ``0 ≤ a_j ≤ M_j``
    (int64; items with a non-positive value are skipped)."""
    f = np.zeros(C + 1, dtype=np.int64)
    for j in range(len(values)):
        if values[j] <= 0 or weights[j] > C:
            continue
        left, piece = M[j], 1
        while left > 0:
            take = min(piece, left)
            left -= take
            piece *= 2
            wt, v = weights[j] * take, values[j] * take
            for c in range(C, wt - 1, -1):
                if f[c - wt] + v > f[c]:
                    f[c] = f[c - wt] + v
    return f[C]


def lagrangian_knapsack_bound(W, D, M, cap) -> int | None:
    """Upper bound on ``max Σ W_j a_j`` over integer ``0 ≤ a ≤ M`` with
    ``D a ≤ cap`` (module docstring).

    Parameters
    ----------
    W : int array (n,)
        Item values (the pricing weights, in units of 1/SCALE).
    D : int array (n, R)
        Requests per item and resource (CPU millicores, memory bytes, pods).
    M : int array (n,)
        Most copies of each item.
    cap : sequence of int (R,)
        Node capacity per resource.

    Returns
    -------
    int or None
        ``ceil(min U(λ))`` over the λ tried, in the units of W; None when
        no resource is small enough for the DP.
    """
    W, D, M = np.asarray(W, np.int64), np.asarray(D, np.int64), np.asarray(M, np.int64)
    if len(W) == 0:
        return 0
    scaled = []  # the resources that can bind, with capacity and requests divided by their gcd
    for r in range(D.shape[1]):
        if int(np.sum(D[:, r] * M)) > int(cap[r]):
            g = math.gcd(*[int(x) for x in D[:, r] if x])
            scaled.append((int(cap[r]) // g, r, g))
    if not scaled:
        return int(np.sum(W * M))
    C1, r1, g1 = min(scaled)
    if C1 > DP_CAPACITY_LIMIT:
        return None
    w1 = D[:, r1] // g1
    others = [(float(np.sum(D[:, r] * M)) / max(int(cap[r]), 1), r, g) for _, r, g in scaled if r != r1]
    q = LAMBDA_DENOMINATOR
    if not others:
        return int(_knapsack_1d(W, w1, M, C1))  # one resource can bind: the DP is exact
    _, r2, g2 = max(others)
    w2, C2 = D[:, r2] // g2, int(cap[r2]) // g2

    def U(p):  # q · U(p / q), an integer
        return p * C2 + int(_knapsack_1d(q * W - p * w2, w1, M, C1))

    # beyond λ = max W_j / w2_j no item with w2_j > 0 has a positive value, and U only grows
    a, b = 0, max(1, math.ceil(q * max(W[j] / w2[j] for j in range(len(W)) if w2[j])))
    best = min(U(a), U(b))
    phi = (math.sqrt(5) - 1) / 2
    x1, x2 = int(round(b - phi * (b - a))), int(round(a + phi * (b - a)))
    f1, f2 = U(x1), U(x2)
    for _ in range(EVALUATIONS):
        best = min(best, f1, f2)
        if b - a <= 2:
            break
        if f1 <= f2:
            b, x2, f2 = x2, x1, f1
            x1 = int(round(b - phi * (b - a)))
            f1 = U(x1)
        else:
            a, x1, f1 = x1, x2, f2
            x2 = int(round(a + phi * (b - a)))
            f2 = U(x2)
    best = min(best, f1, f2)
    return -(-best // q)
