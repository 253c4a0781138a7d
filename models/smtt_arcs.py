"""Kernels of the three-job relaxation with state-space modifiers.

Tanaka, Fujikuma & Araki (2009), J. Scheduling 12:575-593, stage 3: the
DP state remembers the last *two* jobs, so a job may not recur within
three successive positions, and every three successive jobs must be in
their locally optimal order (:func:`triple_ok`). States live on *arcs*
``(i at t - p_j) -> (j at t)`` between the (job, completion time) nodes
that Lagrangian fixing left, times the subset of the modifier set M
already processed, stored only over the jobs of M whose completion window
is open at the arc's time (:mod:`schedcert.models.smtt_modifiers`).

Arrays: ``node_job, node_time`` (N,), nodes sorted by completion time;
``idx`` (T + 1, n) node id or -1; arcs grouped by head node
(``in_start`` (N + 1,), ``arc_tail``, ``arc_head`` (A,)), and the same arcs
listed by tail node (``out_start`` (N + 1,), ``out_arc``). Subsets are
int64 masks over M (``bit[j]``: j's bit, 0 outside M); ``free[t]`` (T + 1,)
the jobs of M open at t, ``done[t]`` those that must be done by t; the
arc tables ``G``, ``H`` are flat, arc a's values at ``off[a] ..
off[a + 1] - 1``, one per subset of ``free`` at its head's time.
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
def _pext(x, m):
    """The bits of x at the set positions of m, packed to the right."""
    r, k = 0, 0
    while m:
        low = m & -m
        if x & low:
            r |= 1 << k
        k += 1
        m ^= low
    return r


@njit(cache=True)
def _pdep(x, m):
    """Inverse of :func:`_pext`: the low bits of x spread to m's positions."""
    r, k = 0, 0
    while m:
        low = m & -m
        if x & (1 << k):
            r |= low
        k += 1
        m ^= low
    return r


@njit(cache=True)
def _local(S, t, free, done):
    """Row offset of global subset S at time t, or -1 if S is not a
    possible "done" set there (a job of M whose window has closed missing)."""
    if (S & ~free[t]) != done[t]:
        return -1
    return _pext(S, free[t])


@njit(cache=True)
def _popcount1(x):
    c = 0
    while x:
        x &= x - 1
        c += 1
    return c


@njit(cache=True)
def arc_maps(p, node_job, node_time, arc_tail, arc_head, bit, free, done):
    """Per arc a = (i at tu) -> (j at tv), where each subset of M done at
    tu (local index there) goes once j is added: ``mp[moff[a] + l]`` is its
    local index at tv, or -1 (j done twice, or a closed window left open).
    Forward, backward and path recovery all use it."""
    A = len(arc_tail)
    moff = np.zeros(A + 1, dtype=np.int64)
    for a in range(A):
        u = arc_tail[a]
        tu = node_time[u]
        k = 1 if tu - p[node_job[u]] == 0 else 1 << _popcount1(free[tu])
        moff[a + 1] = moff[a] + k
    mp = np.full(moff[A], -1, dtype=np.int64)
    for a in range(A):
        u, v = arc_tail[a], arc_head[a]
        i, j = node_job[u], node_job[v]
        tu, tv = node_time[u], node_time[v]
        bj = bit[j]
        if tu - p[i] == 0:
            mp[moff[a]] = _local(bit[i] | bj, tv, free, done)
            continue
        fu, du = free[tu], done[tu]
        for l in range(moff[a + 1] - moff[a]):
            S = du | _pdep(l, fu)
            if not (S & bj):
                mp[moff[a] + l] = _local(S | bj, tv, free, done)
    return moff, mp


@njit(cache=True)
def forward(p, d, w, mu, node_job, node_time, in_start, arc_tail, arc_head, off, moff, mp):
    """``G[off[a] + l]``: cheapest relaxed cost of a sequence filling
    [0, t) that ends with arc a's two jobs, t the head's completion time,
    with the subset of M done given by local index l at t (module
    docstring; ``moff, mp`` from :func:`arc_maps`)."""
    A = len(arc_tail)
    G = np.full(off[A], INF)
    for a in range(A):
        u, v = arc_tail[a], arc_head[a]
        i, j = node_job[u], node_job[v]
        tu, tv = node_time[u], node_time[v]
        fj = _f(p, d, w, j, tv) - mu[j]
        m0 = moff[a]
        if tu - p[i] == 0:
            if mp[m0] >= 0:
                G[off[a] + mp[m0]] = _f(p, d, w, i, tu) - mu[i] + fj
            continue
        for b in range(in_start[u], in_start[u + 1]):
            h = node_job[arc_tail[b]]
            if h == j or not triple_ok(p, d, w, h, i, j, tv):
                continue
            ob = off[b]
            for lb in range(off[b + 1] - ob):
                la = mp[m0 + lb]
                if la >= 0:
                    val = G[ob + lb] + fj
                    if val < G[off[a] + la]:
                        G[off[a] + la] = val
    return G


@njit(cache=True)
def backward(p, d, w, mu, T, node_job, node_time, arc_tail, arc_head, out_start, out_arc, off, moff, mp):
    """``H[off[a] + l]``: cheapest relaxed cost after arc a with the
    subset of M of local index l done."""
    A = len(arc_tail)
    H = np.full(off[A], INF)
    for a in range(A - 1, -1, -1):
        u, v = arc_tail[a], arc_head[a]
        i, j, tv = node_job[u], node_job[v], node_time[v]
        if tv == T:
            H[off[a]:off[a + 1]] = 0.0
            continue
        oa = off[a]
        for k in range(out_start[v], out_start[v + 1]):
            c = out_arc[k]
            y = node_job[arc_head[c]]
            ty = node_time[arc_head[c]]
            if y == i or not triple_ok(p, d, w, i, j, y, ty):
                continue
            fy = _f(p, d, w, y, ty) - mu[y]
            m0, oc = moff[c], off[c]
            for la in range(off[a + 1] - oa):
                lc = mp[m0 + la]
                if lc >= 0:
                    val = H[oc + lc] + fy
                    if val < H[oa + la]:
                        H[oa + la] = val
    return H


@njit(cache=True)
def alive_arcs(G, H, off, limit):
    """Arcs with some subset whose ``G + H`` is within ``limit``."""
    A = len(off) - 1
    keep = np.zeros(A, dtype=np.bool_)
    for a in range(A):
        for x in range(off[a], off[a + 1]):
            if G[x] + H[x] <= limit:
                keep[a] = True
                break
    return keep


@njit(cache=True)
def best_path(p, d, w, mu, T, node_job, node_time, in_start, arc_tail, arc_head, off, moff, mp, G):
    """(value, jobs in order) of one optimal relaxed path (value INF: none)."""
    best, ba, bl = INF, -1, -1
    for a in range(len(arc_tail)):
        if node_time[arc_head[a]] == T:
            for l in range(off[a + 1] - off[a]):
                if G[off[a] + l] < best:
                    best, ba, bl = G[off[a] + l], a, l
    path = []
    a, la = ba, bl
    while a >= 0:
        u, v = arc_tail[a], arc_head[a]
        i, j = node_job[u], node_job[v]
        tu, tv = node_time[u], node_time[v]
        path.append(j)
        if tu - p[i] == 0:
            path.append(i)
            break
        fj = _f(p, d, w, j, tv) - mu[j]
        here = G[off[a] + la]
        lb = -1  # the predecessor's local index: the one the arc map sends to la
        for x in range(moff[a + 1] - moff[a]):
            if mp[moff[a] + x] == la:
                lb = x
                break
        nxt = -1
        for b in range(in_start[u], in_start[u + 1]):
            h = node_job[arc_tail[b]]
            if h != j and lb >= 0 and abs(G[off[b] + lb] + fj - here) <= 1e-6 * (1.0 + abs(here)) \
                    and triple_ok(p, d, w, h, i, j, tv):
                nxt = b
                break
        a, la = nxt, lb
    return best, path[::-1]
