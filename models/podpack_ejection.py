"""Primal heuristic for a pod-packing tier: swap-based local search.

Starts from a packing of the relaxation (as made by
:mod:`schedcert.models.podpack_greedy`: interchangeable nodes and pods, a
pod may go to any node of an allowed type) and tries to place more pods
of the tier. Each step first tries (1) on every left-out pod, higher
tiers first, then takes one left-out pod u (of a higher tier while that
tier is below its frozen count, else of the tier) and applies (2) or (3):

1. place it on a node it fits on, or on a node where it fits once one pod
   there moves to another node with room for it (a gain);
2. otherwise swap it in for one pod v on some node, where v frees at
   least what u lacks there in every resource (the count stays, the
   packing changes); among all such swaps the one whose v has the
   smallest weight (plus a little seeded noise) is taken;
3. if there is none, swap it in for two pods of one node that together
   free enough, provided their weights sum to less than u's (a loss of
   one pod, which later steps try to win back).

A pod just placed may not leave for ``TENURE`` steps (tabu). Every pod
that stays left out gains weight each step, so the pods that are hard to
place end up placed and the easy ones are swapped out, where later steps
place them again by (1). This is the consistent-neighbourhood idea of
Buljubašić & Vasquez (2016), "Consistent neighborhood search for
one-dimensional bin packing and two-dimensional vector packing",
Computers & Operations Research 76:12-21, reduced to these moves. Pods of
the frozen tiers above start heavier (``FROZEN_WEIGHT``) and may leave, but
a packing counts only when every frozen tier has its count, so the best
packing returned keeps them. The search stops at the caller's deadline,
at the target, or after ``STALL_STEPS`` steps without a better packing;
the caller maps the packing to real nodes and the validator checks it.
"""

from __future__ import annotations

import time

import numpy as np
from numba import njit, objmode

TENURE = 7  # steps a pod just placed may not be swapped out
FROZEN_WEIGHT = 5.0  # starting weight of the pods of higher tiers (the tier's own: 1)
STALL_STEPS = 10_000  # steps without a better packing after which the search stops
STEPS = 200  # steps per call of the compiled search (the caller loops until its deadline)
#: seconds the first STEPS steps may run past the deadline: all of them on small tiers (milliseconds),
#: 1 or 2 where a step takes 0.1 s (4 000 pods on 200 nodes; the first round took 8.5 s there)
STEPS_GRACE = 0.1


@njit(cache=True)
def _fits(free, need):
    """Whether ``need <= free`` in every resource."""
    for r in range(len(need)):
        if need[r] > free[r]:
            return False
    return True


@njit(cache=True)
def _fits_with(free, freed, need):
    """Whether ``need <= free + freed`` in every resource."""
    for r in range(len(need)):
        if need[r] > free[r] + freed[r]:
            return False
    return True


@njit(cache=True)
def _members(where, first, fill, members):
    """Index the pods by node (CSR, in place): the pods on node n, in index
    order, are ``members[first[n]:first[n + 1]]``; `first` has N + 1
    entries, `fill` N, `members` P. O(P + N): scans of the pods of each
    node in turn cost O(P) instead of O(N·P)."""
    N = len(fill)
    first[:] = 0
    for i in range(len(where)):
        if where[i] >= 0:
            first[where[i] + 1] += 1
    for n in range(N):
        first[n + 1] += first[n]
    fill[:] = first[:N]
    for i in range(len(where)):
        if where[i] >= 0:
            members[fill[where[i]]] = i
            fill[where[i]] += 1


@njit(cache=True)
def _insert(u, dem, ok, kind, rem, where, first, fill, members):
    """Place pod u directly or after one move (True on success); `first`,
    `fill`, `members`: scratch space for :func:`_members`."""
    P, R = dem.shape
    N = len(kind)
    for n in range(N):
        if ok[u, kind[n]] and _fits(rem[n], dem[u]):
            where[u] = n
            for r in range(R):
                rem[n, r] -= dem[u, r]
            return True
    _members(where, first, fill, members)
    for n in range(N):  # one pod w on n moves to m, then u fits on n
        if not ok[u, kind[n]]:
            continue
        for a in range(first[n], first[n + 1]):
            w = members[a]
            if not _fits_with(rem[n], dem[w], dem[u]):
                continue
            for m in range(N):
                if m != n and ok[w, kind[m]] and _fits(rem[m], dem[w]):
                    where[w] = m
                    where[u] = n
                    for r in range(R):
                        rem[m, r] -= dem[w, r]
                        rem[n, r] += dem[w, r] - dem[u, r]
                    return True
    return False


@njit(cache=True)
def ejection_steps(dem, ok, kind, rem, where, rank, need, weight, tabu, step0, steps, seed, deadline=np.inf):
    """Run `steps` steps of the module docstring's search in place, fewer
    when the clock passes `deadline` (a ``time.perf_counter()`` value,
    read before every step but the first: one step of a 4 000-pod,
    200-node tier takes 0.1–0.5 s).

    Parameters
    ----------
    dem : int64 (P, R)
        Requests per pod.
    ok : bool (P, T)
        Node types each pod may use.
    kind : int64 (N,)
        Type of each node.
    rem : int64 (N, R)
        Free allocatable per node (consistent with `where`; updated).
    where : int64 (P,)
        Node of each pod, −1 left out (updated).
    rank : int64 (P,)
        Tier rank per pod, the tier's own pods having the largest, L.
    need : int64 (L,)
        Pods of each higher tier a packing must place.
    weight : float64 (P,), tabu : int64 (P,)
        Search state carried between calls (weights; step until which a
        pod may not be swapped out).
    step0 : int
        Number of the first step (for the tabu).

    Returns
    -------
    (most pods of the tier placed with the `need` met, or −1; that placement (P,); steps run)
    """
    np.random.seed(seed)
    P, R = dem.shape
    N = len(kind)
    L = len(need)
    placed = np.zeros(L + 1, np.int64)
    for i in range(P):
        if where[i] >= 0:
            placed[rank[i]] += 1
    best, best_where = -1, where.copy()
    out = np.empty(P, np.int64)
    lack = np.empty(P, np.int64)
    first = np.zeros(N + 1, np.int64)  # pods of node n: members[first[n]:first[n + 1]]
    fill = np.empty(N, np.int64)
    members = np.empty(P, np.int64)
    ran = 0
    for step in range(step0, step0 + steps):
        if step > step0:
            with objmode(now="float64"):
                now = time.perf_counter()
            if now > deadline:
                break
        ran += 1
        k = 0
        for tier_rank in range(L + 1):  # left-out pods, higher tiers first
            for i in range(P):
                if rank[i] == tier_rank and where[i] < 0:
                    out[k] = i
                    k += 1
        for j in range(k):  # (1) every left-out pod
            if _insert(out[j], dem, ok, kind, rem, where, first, fill, members):
                placed[rank[out[j]]] += 1
        ok_need = True
        for t in range(L):
            if placed[t] < need[t]:
                ok_need = False
                break
        if ok_need and placed[L] > best:
            best = placed[L]
            best_where[:] = where
        k2, short = 0, 0
        for j in range(k):
            u = out[j]
            if where[u] < 0:
                weight[u] += 1.0
                out[k2] = u
                k2 += 1
                if rank[u] < L and placed[rank[u]] < need[rank[u]]:
                    lack[short] = u  # a pod of a higher tier below its count
                    short += 1
        if k2 == 0:
            break
        u = lack[np.random.randint(short)] if short else out[np.random.randint(k2)]
        # the pods of each node in index order: the scans below visit the candidates in the order of
        # a scan over all pods per node, at O(P) a step instead of O(N·P), O(N·P²) for (3)
        _members(where, first, fill, members)
        bv, bn, bs = -1, -1, np.inf
        for n in range(N):  # (2) the lightest v to swap u in for
            if not ok[u, kind[n]]:
                continue
            for a in range(first[n], first[n + 1]):
                v = members[a]
                if tabu[v] <= step and _fits_with(rem[n], dem[v], dem[u]):
                    score = weight[v] + 0.5 * np.random.random()
                    if score < bs:
                        bv, bn, bs = v, n, score
        bw = -1
        if bv < 0:  # (3) two pods of one node out, if together they weigh less than u
            bs = weight[u]
            for n in range(N):
                if not ok[u, kind[n]]:
                    continue
                for a in range(first[n], first[n + 1]):
                    v = members[a]
                    if tabu[v] > step:
                        continue
                    for b in range(a + 1, first[n + 1]):
                        w = members[b]
                        if tabu[w] > step:
                            continue
                        if _fits_with(rem[n], dem[v] + dem[w], dem[u]):
                            score = weight[v] + weight[w] + 0.5 * np.random.random()
                            if score < bs:
                                bv, bw, bn, bs = v, w, n, score
        if bv < 0:
            continue
        for x in (bv, bw):
            if x >= 0:
                where[x] = -1
                placed[rank[x]] -= 1
                for r in range(R):
                    rem[bn, r] += dem[x, r]
        where[u] = bn
        placed[rank[u]] += 1
        for r in range(R):
            rem[bn, r] -= dem[u, r]
        tabu[u] = step + TENURE
    return best, best_where, ran


def eject(items, kind, cap, where, target: int, deadline: float, seed: int = 0) -> np.ndarray:
    """The search of the module docstring on packing `where` (node per pod
    of `items`, a :class:`~schedcert.models.podpack_greedy._Items`; −1 left
    out) of the nodes `kind` (type per node) with allocatable `cap`
    (N, R), until `target` pods of the tier are placed or `deadline` (a
    ``time.perf_counter()`` value; the first ``STEPS`` steps may run
    ``STEPS_GRACE`` past it, at least one step runs). Returns the
    best placement found that places the frozen counts (`where` if none
    is better)."""
    tier = items.rank == items.tiers - 1
    best_where, best = where, int((tier & (where >= 0)).sum())
    where = where.copy()
    rem = cap.copy()
    for i in np.nonzero(where >= 0)[0]:
        rem[where[i]] -= items.dem[i]
    weight = np.where(tier, 1.0, FROZEN_WEIGHT)
    tabu = np.zeros(len(where), dtype=np.int64)
    step = last = 0
    # no step: loads the compiled kernel (about 0.35 s in a new process) before the grace is timed
    ejection_steps(items.dem, items.ok, kind, rem, where, items.rank, items.need[:-1], weight, tabu, 0, 0, seed,
                   deadline)
    first_round = time.perf_counter() + STEPS_GRACE  # the first STEPS steps may run until then
    while best < target:
        got, got_where, ran = ejection_steps(items.dem, items.ok, kind, rem, where, items.rank, items.need[:-1],
                                             weight, tabu, step, STEPS, seed + step,
                                             max(deadline, first_round) if step == 0 else deadline)
        step += ran
        if got > best:
            best, best_where, last = int(got), got_where, step
        if time.perf_counter() > deadline or not (where < 0).any() or step - last >= STALL_STEPS:
            break
    return best_where
