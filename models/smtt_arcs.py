"""Kernels of the three-job relaxation with state-space modifiers.

Tanaka, Fujikuma & Araki (2009), J. Scheduling 12:575-593, stage 3: the
DP state remembers the last *two* jobs, so a job may not recur within
three successive positions, and every three successive jobs must be in
their locally optimal order (:func:`triple_ok`). States live on *arcs*
``(i at t - p_j) -> (j at t)`` between the (job, completion time) nodes
that Lagrangian fixing left, times the subset of the modifier set M
already processed (:mod:`schedcert.models.smtt_modifiers`).

Arrays: ``node_job, node_time`` (N,), nodes sorted by completion time;
``idx`` (T + 1, n) node id or -1; arcs grouped by head node
(``in_start`` (N + 1,), ``arc_tail``, ``arc_head`` (A,)), and the same arcs
listed by tail node (``out_start`` (N + 1,), ``out_arc``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from schedcert.models.smtt_lagrange import _allowed

INF = 1e300


@njit(cache=True)
def _f(p, d, w, j, c):
    return w[j] * max(0, c - d[j])


@njit(cache=True)
def _cost3(p, d, w, a, b, c, s0):
    return (_f(p, d, w, a, s0 + p[a]) + _f(p, d, w, b, s0 + p[a] + p[b])
            + _f(p, d, w, c, s0 + p[a] + p[b] + p[c]))


@njit(cache=True)
def _lex_less(a, b, c, h, i, j):
    if a != h:
        return a < h
    if b != i:
        return b < i
    return c < j


@njit(cache=True)
def triple_ok(p, d, w, h, i, j, t):
    """May h, i, j run consecutively, j completing at t? Only if no other
    order of the three costs less, or the same and is lexicographically
    smaller (the lexicographically smallest optimal sequence passes)."""
    if h == i or i == j or h == j:
        return False
    s0 = t - p[h] - p[i] - p[j]
    base = _cost3(p, d, w, h, i, j, s0)
    perms = ((h, j, i), (i, h, j), (i, j, h), (j, h, i), (j, i, h))
    for a, b, c in perms:
        v = _cost3(p, d, w, a, b, c, s0)
        if v < base or (v == base and _lex_less(a, b, c, h, i, j)):
            return False
    return True


@njit(cache=True)
def relax_masks(src, dst, b, add):
    """``dst[S | b] = min(dst[S | b], src[S] + add)`` for every subset S
    without bit b (rows of a state × subset table; b = 0 outside M)."""
    for m in range(len(src)):
        val = src[m]
        if val < INF and not (m & b) and val + add < dst[m | b]:
            dst[m | b] = val + add


@njit(cache=True)
def best_terminal(state_time, T, F):
    """(value, state, subset) of the cheapest state that ends at T."""
    best, bs, bm = INF, -1, -1
    for a in range(len(state_time)):
        if state_time[a] == T:
            for m in range(F.shape[1]):
                if F[a, m] < best:
                    best, bs, bm = F[a, m], a, m
    return best, bs, bm


@njit(cache=True)
def _pred_arcs(p, d, w, idx, node_job, node_time):
    """Per head node the number of pair-rule predecessors, and the tails in
    head order."""
    N, n = len(node_job), len(p)
    cnt = np.zeros(N + 1, dtype=np.int64)
    tails = np.empty(max(16, 4 * N), dtype=np.int64)
    k = 0
    for v in range(N):
        j, t = node_job[v], node_time[v]
        s = t - p[j]
        if s <= 0:
            continue
        for i in range(n):
            u = idx[s, i]
            if u >= 0 and _allowed(p, d, w, i, j, t):
                if k == len(tails):
                    grown = np.empty(2 * k, dtype=np.int64)
                    grown[:k] = tails
                    tails = grown
                tails[k] = u
                k += 1
                cnt[v + 1] += 1
    return cnt, tails[:k].copy()


@njit(cache=True)
def build_arcs(p, d, w, idx, node_job, node_time):
    """Arcs between surviving nodes that obey the pair rule; returns
    (in_start, arc_tail, arc_head, out_start, out_arc)."""
    N = len(node_job)
    cnt, arc_tail = _pred_arcs(p, d, w, idx, node_job, node_time)
    in_start = np.cumsum(cnt)
    A = in_start[N]
    arc_head = np.empty(A, dtype=np.int64)
    for v in range(N):
        arc_head[in_start[v]:in_start[v + 1]] = v
    ocnt = np.zeros(N + 1, dtype=np.int64)
    for a in range(A):
        ocnt[arc_tail[a] + 1] += 1
    out_start = np.cumsum(ocnt)
    opos = out_start[:-1].copy()
    out_arc = np.empty(A, dtype=np.int64)
    for a in range(A):
        u = arc_tail[a]
        out_arc[opos[u]] = a
        opos[u] += 1
    return in_start, arc_tail, arc_head, out_start, out_arc


@njit(cache=True)
def forward(p, d, w, mu, node_job, node_time, in_start, arc_tail, arc_head, bit, nmask):
    """``G[a, S]``: cheapest relaxed cost of a sequence filling [0, t) that
    ends with arc a's two jobs, with subset S of M done."""
    A = len(arc_tail)
    G = np.full((A, nmask), INF)
    for a in range(A):
        u, v = arc_tail[a], arc_head[a]
        i, j = node_job[u], node_job[v]
        tu, tv = node_time[u], node_time[v]
        fj = _f(p, d, w, j, tv) - mu[j]
        bj = bit[j]
        if tu - p[i] == 0:
            if not (bit[i] & bj):
                G[a, bit[i] | bj] = _f(p, d, w, i, tu) - mu[i] + fj
            continue
        for b in range(in_start[u], in_start[u + 1]):
            h = node_job[arc_tail[b]]
            if h == j or not triple_ok(p, d, w, h, i, j, tv):
                continue
            relax_masks(G[b], G[a], bj, fj)
    return G


@njit(cache=True)
def backward(p, d, w, mu, T, node_job, node_time, arc_tail, arc_head, out_start, out_arc, bit, nmask):
    """``H[a, S]``: cheapest relaxed cost after arc a with subset S done."""
    A = len(arc_tail)
    H = np.full((A, nmask), INF)
    for a in range(A - 1, -1, -1):
        u, v = arc_tail[a], arc_head[a]
        i, j, tv = node_job[u], node_job[v], node_time[v]
        if tv == T:
            H[a, :] = 0.0
            continue
        for k in range(out_start[v], out_start[v + 1]):
            c = out_arc[k]
            y = node_job[arc_head[c]]
            ty = node_time[arc_head[c]]
            if y == i or not triple_ok(p, d, w, i, j, y, ty):
                continue
            fy = _f(p, d, w, y, ty) - mu[y]
            by = bit[y]
            for m in range(nmask):
                if not (m & by):
                    val = H[c, m | by] + fy
                    if val < H[a, m]:
                        H[a, m] = val
    return H


@njit(cache=True)
def best_path(p, d, w, mu, T, node_job, node_time, in_start, arc_tail, arc_head, bit, G):
    """(value, jobs in order) of one optimal relaxed path (value INF: none)."""
    best, ba, bm = best_terminal(node_time[arc_head], T, G)
    path = []
    a, m = ba, bm
    while a >= 0:
        u, v = arc_tail[a], arc_head[a]
        i, j = node_job[u], node_job[v]
        path.append(j)
        if node_time[u] - p[i] == 0:
            path.append(i)
            break
        fj = _f(p, d, w, j, node_time[v]) - mu[j]
        pm = m & ~bit[j]
        nxt = -1
        for b in range(in_start[u], in_start[u + 1]):
            h = node_job[arc_tail[b]]
            if h != j and abs(G[b, pm] + fj - G[a, m]) <= 1e-6 * (1.0 + abs(G[a, m])) \
                    and triple_ok(p, d, w, h, i, j, node_time[v]):
                nxt = b
                break
        a, m = nxt, pm
    return best, path[::-1]
