"""Exact 1||ΣTj: Lawler's decomposition with memoisation (method ``bb``).

Lawler (1977), Theorem: number the jobs in EDD order (ties: shorter
first) and let k be a longest job (ties: the latest in that order).
Some optimal sequence puts, for one δ, exactly the jobs before position
k + δ (other than k) first, then k, completing at
``C_k(δ) = t + Σ_{j <= k+δ} p_j``, then the rest. Both sides are again
"jobs of an EDD-index range below a processing-time threshold" and are
solved recursively, memoised on (job set, start time) — the
branch-and-memorize idea of Shang, T'kindt & Della Croce (2021) applied
to Lawler's subproblems.

Eliminated positions (each dominated by a neighbouring δ):
(i) δ >= 1 with ``d_{k+δ} >= C_k(δ)``: moving job k+δ right behind k
keeps it on time and finishes everything else no later (so δ-1 is no
worse); (ii) δ < last with ``d_{k+δ+1} <= C_k(δ)`` (Potts & Van
Wassenhove 1982; Emmons' first condition, the next job is due before k
completes). Subproblems whose EDD order is on time, or whose SPT order
has every job late, are solved directly (then EDD resp. SPT is optimal,
since ΣT >= ΣC - Σd). Within a node, positions are tried by increasing
lower bound and skipped when the bound reaches the best found; the bound
of a job set from time t is Σ max(0, C^SPT_[i] - d_[i]) (i-th SPT
completion time against the i-th smallest due date, a valid bound since
max(0, ·) is convex).

The whole search is compiled (numba): :func:`_search` recurses over
subproblems named by four integers (EDD-rank range, processing-time
key threshold, start time; see the comment above it), memoised in a
typed dict, and :func:`_sequence` replays the stored choices into the
optimal sequence. Tail rule: when the job due last (in EDD order) is on
time even when completed last, some optimal sequence ends with it (moving
it to the end makes it no later than its due date and every other job no
later); applied repeatedly, before the memo lookup. Per node,
:func:`classify_node` finds the direct cases or the longest job and :func:`position_bounds` the kept
positions with their bounds (O(m log m + m·kept)). The search runs in
node-budget slices of about 0.25 s; the deadline is checked between
them and the memo carries over, so a slice resumes where the last one
stopped. Against the plain-Python recursion with compiled node kernels
(the previous version): smtt_n500_105 53 → 11.6 s, _051 46.8 → 10.3 s;
_011 (unproven in 60 s before) is proven in 28 s. The tests compare
this method with brute force and the kernels with the plain
definitions. On time-out it returns the warm start with the root
lower bound.

"""

from __future__ import annotations

import time

import numpy as np
from numba import njit, types
from numba.typed import Dict

from schedcert.instances.smtt import SmttInstance


def pairing_bound(p: list[int], d: list[int], t: int = 0) -> int:
    """Σ max(0, C_[i] - d_[i]): SPT completion times from `t` against due
    dates in increasing order; a lower bound on the total (unweighted)
    tardiness of these jobs started at `t`."""
    return int(_pair_sorted(np.sort(np.asarray(p, dtype=np.int64)), np.sort(np.asarray(d, dtype=np.int64)), len(p), t))


@njit(cache=True)
def _pair_sorted(sp, dd, n, t):
    """:func:`pairing_bound` of n jobs given sorted p (`sp`) and sorted d (`dd`)."""
    total, c = 0, t
    for i in range(n):
        c += sp[i]
        if c > dd[i]:
            total += c - dd[i]
    return total


@njit(cache=True)
def position_bounds(P, D, a, t):
    """Lawler positions of the longest job for one subproblem.

    `P`, `D`: processing times and due dates of the subproblem's jobs in
    EDD order (int64 arrays, length m); `a`: index of the longest job k;
    `t`: start time. For every position ``pos = a + δ`` (δ = 0 .. m−1−a)
    returns arrays of length m − a: ``C`` (completion time of k), ``keep``
    (False where the elimination rules (i) and (ii) of the module docstring
    drop the position), and, at kept positions only (0 elsewhere),
    ``lb_left`` (:func:`pairing_bound` of jobs[:a] + jobs[a+1:pos+1] from
    t) and ``lb_right`` (of jobs[pos+1:] from C). One sort, then O(m) per
    kept position: O(m log m + m·kept); on smtt_n500_051 a branching node
    has m ≈ 113 jobs, 53 positions and 2.25 kept on average.
    """
    m = P.shape[0]
    k = m - a
    C = np.empty(k, np.int64)
    lbl = np.zeros(k, np.int64)
    lbr = np.zeros(k, np.int64)
    keep = np.ones(k, np.bool_)
    c = t + P[:a + 1].sum()
    for delta in range(k):
        pos = a + delta
        if delta > 0:
            c += P[pos]
            if D[pos] >= c:
                keep[delta] = False
        if pos + 1 < m and D[pos + 1] <= c:
            keep[delta] = False
        C[delta] = c
    order = np.argsort(P)  # ties do not change the sorted values
    sp = np.empty(m, np.int64)
    dl = np.empty(m, np.int64)
    for delta in range(k):
        if not keep[delta]:
            continue
        pos = a + delta
        n = 0
        for i in order:
            if i <= pos and i != a:
                sp[n] = P[i]
                n += 1
        nd = 0
        for i in range(pos + 1):
            if i != a:
                dl[nd] = D[i]
                nd += 1
        lbl[delta] = _pair_sorted(sp, dl, n, t)
        n = 0
        for i in order:
            if i > pos:
                sp[n] = P[i]
                n += 1
        lbr[delta] = _pair_sorted(sp, D[pos + 1:], n, C[delta])
    return C, lbl, lbr, keep


EDD_ON_TIME, SPT_ALL_LATE, BRANCH = 1, 2, 3  # outcomes of classify_node


@njit(cache=True)
def classify_node(P, D, t):
    """What the decomposition does with one subproblem (module docstring).

    `P`, `D`: processing times and due dates of its m ≥ 2 jobs in EDD order
    (int64 arrays), the tail already split off (:func:`_subproblem`); `t`:
    start time. Returns ``(kind, value, index, order)``:
    ``(EDD_ON_TIME, 0, 0, _)``; ``(SPT_ALL_LATE, cost, 0, order)`` —
    SPT (ties: EDD order) has every job late, so it is optimal with that
    cost, `order` the local indices; ``(BRANCH, 0, a, _)`` — a is the
    longest job (ties: the latest in EDD order).
    """
    m = P.shape[0]
    empty = np.empty(0, np.int64)
    c = t
    late = False
    for i in range(m):
        c += P[i]
        if c > D[i]:
            late = True
            break
    if not late:
        return EDD_ON_TIME, 0, 0, empty
    c = t  # the job due last must be late in SPT too; checked without sorting
    for i in range(m):
        if P[i] <= P[m - 1]:
            c += P[i]
    if c >= D[m - 1]:
        order = np.argsort(P, kind="mergesort")
        c = t
        cost = 0
        for i in order:
            c += P[i]
            if c < D[i]:
                break
            cost += c - D[i]
        else:
            return SPT_ALL_LATE, cost, 0, order
    a = 0
    for i in range(1, m):
        if P[i] >= P[a]:
            a = i
    return BRANCH, 0, a, empty


@njit(cache=True)
def ranked_positions(P, D, a, t):
    """The positions δ that :func:`position_bounds` keeps, by increasing
    lower bound ``lb_left + T_k + lb_right`` (ties: smaller δ). Returns
    ``(ranked δ, lb, C, T_k, lb_right)``, the last four indexed by δ."""
    C, lbl, lbr, keep = position_bounds(P, D, a, t)
    tk = np.maximum(C - D[a], 0)
    lb = lbl + tk + lbr
    kept = keep.nonzero()[0]
    ranked = kept[np.argsort(lb[kept], kind="mergesort")]
    return ranked, lb, C, tk, lbr


# ---------------------------------------------------------------- compiled search
#
# A subproblem is (lo, hi, thr, t): the jobs whose EDD rank r lies in
# [lo, hi] and whose key K[r] = p·(n+1) + r is below thr, started at t. The
# longest job k of a subproblem has the largest key in it (ties of p go to
# the latest rank), so both of its Lawler sides are again of this form with
# thr = K[k]: left = ranks [lo, rank at k+δ] (k itself drops out, its key is
# not below K[k]), right = ranks after k+δ up to hi. The memo key uses the
# first and last member as (lo, hi), so every job set has one key.

MEMO_KEY = types.UniTuple(types.int64, 4)   # (first rank, last rank, thr, t)
MEMO_VALUE = types.UniTuple(types.int64, 3)  # (value, exact 0/1, chosen δ or -1)
NODES, BUDGET, ABORTED = 0, 1, 2            # fields of the search's state array


@njit(cache=True)
def _members(lo, hi, thr, K):
    out = np.empty(hi - lo + 1, np.int64)
    m = 0
    for r in range(lo, hi + 1):
        if K[r] < thr:
            out[m] = r
            m += 1
    return out[:m]


@njit(cache=True)
def _subproblem(lo, hi, thr, t, P, D, K):
    """Members of subproblem (lo, hi, thr, t) in EDD order, and m: how many
    of them remain after the module docstring's tail rule split off J[m:]
    (those go last, in EDD order)."""
    J = _members(lo, hi, thr, K)
    m = J.shape[0]
    end = t
    for i in range(m):
        end += P[J[i]]
    while m >= 2 and D[J[m - 1]] >= end:
        m -= 1
        end -= P[J[m]]
    return J, m


@njit(cache=True)
def _search(lo, hi, thr, t, ub, P, D, K, memo, state):
    """``(value, exact)`` of subproblem (lo, hi, thr, t) in the compiled
    search: the optimum with exact = True when it is below `ub`, otherwise
    a proven bound >= `ub` with exact = False. `P`, `D`, `K`: processing
    times, due dates and keys in EDD order; `memo`: typed dict MEMO_KEY →
    MEMO_VALUE, kept across calls; `state`: int64[3] (nodes expanded,
    node budget, aborted flag). When the budget runs out the search unwinds
    with ABORTED set and stores nothing for unfinished subproblems, so a
    later call with the same memo carries on where it stopped."""
    J, m = _subproblem(lo, hi, thr, t, P, D, K)  # the tail is split off before the memo lookup
    if m == 0:
        return 0, True
    if m == 1:
        return max(0, t + P[J[0]] - D[J[0]]), True
    J = J[:m]
    key = (J[0], J[m - 1], thr, t)
    if key in memo:
        hv, hx, _ = memo[key]
        if hx == 1 or hv >= ub:
            return hv, hx == 1
    state[NODES] += 1
    if state[NODES] > state[BUDGET]:
        state[ABORTED] = 1
        return 0, False
    PJ, DJ = P[J], D[J]
    kind, value, a, _ = classify_node(PJ, DJ, t)
    choice = -1
    if kind == EDD_ON_TIME:
        v, exact = 0, True
    elif kind == SPT_ALL_LATE:
        v, exact = value, True
    else:
        thrk = K[J[a]]
        ranked, lbs, cs, tks, lbr = ranked_positions(PJ, DJ, a, t)
        best, floor = ub, -1
        for delta in ranked:
            if lbs[delta] >= best:
                floor = lbs[delta] if floor < 0 else min(floor, lbs[delta])
                break
            pos = a + delta
            tk, lr = tks[delta], lbr[delta]
            vl, xl = _search(J[0], J[pos], thrk, t, best - tk - lr, P, D, K, memo, state)
            if state[ABORTED]:
                return 0, False
            if not xl or vl + tk + lr >= best:
                floor = vl + tk + lr if floor < 0 else min(floor, vl + tk + lr)
                continue
            vr, xr = 0, True
            if pos + 1 < m:
                vr, xr = _search(J[pos + 1], J[m - 1], thrk, cs[delta], best - vl - tk, P, D, K, memo, state)
                if state[ABORTED]:
                    return 0, False
            if not xr or vl + tk + vr >= best:
                floor = vl + tk + vr if floor < 0 else min(floor, vl + tk + vr)
                continue
            best, choice = vl + tk + vr, delta
        if choice >= 0:
            v, exact = best, True
        else:
            v, exact = max(floor, ub), False
    memo[key] = (v, 1 if exact else 0, choice)
    return v, exact


@njit(cache=True)
def _sequence(lo, hi, thr, t, P, D, K, memo, out, n_out):
    """Write the optimal sequence (EDD ranks) of a subproblem that
    :func:`_search` solved exactly into ``out[n_out:]``; returns the new
    length. Replays the node rules and reads the chosen δ from `memo`."""
    Jall, m = _subproblem(lo, hi, thr, t, P, D, K)
    J = Jall[:m]
    if m <= 1:
        out[n_out:n_out + m] = J
        n_out += m
    else:
        PJ, DJ = P[J], D[J]
        kind, _, a, order = classify_node(PJ, DJ, t)
        if kind == EDD_ON_TIME:
            out[n_out:n_out + m] = J
            n_out += m
        elif kind == SPT_ALL_LATE:
            out[n_out:n_out + m] = J[order]
            n_out += m
        else:
            pos = a + memo[(J[0], J[m - 1], thr, t)][2]
            thrk = K[J[a]]
            n_out = _sequence(J[0], J[pos], thrk, t, P, D, K, memo, out, n_out)
            out[n_out] = J[a]
            n_out += 1
            if pos + 1 < m:
                n_out = _sequence(J[pos + 1], J[m - 1], thrk, t + PJ[:pos + 1].sum(), P, D, K, memo, out, n_out)
    tail = Jall[m:]  # split off by the tail rule: last, in EDD order
    out[n_out:n_out + tail.shape[0]] = tail
    return n_out + tail.shape[0]


class SearchTimeout(Exception):
    """The deadline of a :class:`Decomposition` passed."""


class Decomposition:
    """Lawler's decomposition with memoisation (module docstring), searched
    by the compiled :func:`_search` in node-budget slices so that the
    deadline is checked between slices.

    ``solve(upper)`` returns ``(optimal total tardiness, sequence of job
    indices)``, the sequence None when nothing is cheaper than `upper`;
    raises :class:`SearchTimeout` after `deadline` (a ``time.perf_counter()`` value).
    ``nodes`` counts expanded subproblems, ``memo`` holds solved ones.
    """

    SLICE_SECONDS = 0.25                          # target length of a slice
    FIRST_BUDGET, MIN_BUDGET, MAX_BUDGET = 20_000, 5_000, 5_000_000  # nodes per slice

    def __init__(self, inst: SmttInstance, deadline: float | None = None):
        n = inst.n
        self.order = np.array(sorted(range(n), key=lambda j: (inst.d[j], inst.p[j], j)), dtype=np.int64)
        self.P = np.array(inst.p, dtype=np.int64)[self.order]
        self.D = np.array(inst.d, dtype=np.int64)[self.order]
        self.K = self.P * (n + 1) + np.arange(n, dtype=np.int64)
        self.thr = int(self.K.max(initial=0)) + 1
        self.deadline = deadline
        self.memo = Dict.empty(key_type=MEMO_KEY, value_type=MEMO_VALUE)
        self.nodes = 0

    def solve(self, upper: int | None = None):
        n = len(self.order)
        if n == 0:
            return 0, ()
        # without an incumbent: every job completes by ΣP, so T_j <= max(0, ΣP - d_j) (d_j may be negative)
        ub = (upper + 1) if upper is not None else int(np.maximum(0, self.P.sum() - self.D).sum()) + 1
        state = np.zeros(3, np.int64)
        budget = self.FIRST_BUDGET
        while True:
            state[:] = (0, budget, 0)
            t0 = time.perf_counter()
            value, exact = _search(0, n - 1, self.thr, 0, ub, self.P, self.D, self.K, self.memo, state)
            spent = time.perf_counter() - t0
            self.nodes += int(state[NODES])
            if not state[ABORTED]:
                break
            if self.deadline is not None and time.perf_counter() > self.deadline:
                raise SearchTimeout
            budget = int(min(max(budget * self.SLICE_SECONDS / max(spent, 1e-3), self.MIN_BUDGET),
                             self.MAX_BUDGET))
        if not exact:
            return int(value), None
        out = np.empty(n, np.int64)
        _sequence(0, n - 1, self.thr, 0, self.P, self.D, self.K, self.memo, out, 0)
        return int(value), tuple(int(j) for j in self.order[out])
