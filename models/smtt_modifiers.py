"""State-space modifiers for the Lagrangian DP of 1||ΣwjTj.

Tanaka, Fujikuma & Araki (2009), "An exact algorithm for single-machine
scheduling without machine idle time", J. Scheduling 12:575-593, stages 2
and 3, applied to the (job, completion time) nodes that Lagrangian
variable fixing in :mod:`schedcert.models.smtt_lagrange` left (a few
thousand to some tens of thousands for n = 40-50).

The stage-1 relaxation forbids a job twice in a row and keeps the pair
order rule, but lets a job recur further apart. Two strengthenings:

* three-job states (stage 3): the state is
  the last *two* jobs (an arc between nodes), so a job may not recur
  within three positions and every three successive jobs must be in their
  locally optimal order (:mod:`schedcert.models.smtt_arcs`);
* a *modifier* set M of jobs: each state also carries the subset of M
  already processed, and every job of M comes exactly once:

      F(t, k, S ∪ {k}) = f_k(t) - mu_k + min F(t - p_k, ., S),  k ∉ S if k ∈ M,

  and likewise a backward value B.

``min F(T, ., M) + Σ mu`` is a lower bound (every schedule obeying the
order rules is such a path, at its true cost, and the lexicographically
smallest optimal sequence obeys them), and a node whose best
``F + B + Σ mu`` exceeds ``UB - 1`` is eliminated.

Sparse subsets. Fixing leaves job k a window of completion times
``[lo_k, hi_k]``; at time t a job of M with ``hi_k <= t`` must be in S and
one with ``lo_k > t`` cannot be, so only the jobs of M whose window is open
at t (``lo_k <= t < hi_k``) are stored: an arc ending at t holds
``2^(open jobs of M at t)`` values, not ``2^|M|``. This is Tanaka et al.'s
point that only the states that survive elimination need storing, in a
form that keeps flat arrays; it lets M reach 10-26 jobs (OR-Library
wt40/wt50) where the dense table stopped at 5-8.

Each round re-optimises the multipliers by subgradient over the modified
DP (10 steps), eliminates, and adds to M (at most four per round) jobs that
the optimal relaxed path repeats or leaves out (Tanaka et al. 2009 take
the repeated ones), the narrowest window first, as long as the states
stay under a cap. With M = all jobs the DP is exact, so a round ends in a
proof (bound > UB - 1, or no node left for some job), in a relaxed path
that is a schedule (optimal), or the limits stop it.

Measured (OR-Library wt50, session 12, one process): #32 (optimum 7 178,
stage-1 bound about 7 135) proven in about 50 s of rounds, |M| = 13;
#109 (optimum 6 185, stage-1 bound about 5 830, the LP optimum of stage 1
being 5 880 by column generation) in about 15 s, |M| = 24. The dense
version (``states × 2^|M| <= 2^24``) left both unproven at 900 s: bounds
7 148 and 5 893.
"""

from __future__ import annotations

import time

import numpy as np

from schedcert.instances.smtt import SmttInstance
from schedcert.models import smtt_arcs as arcs

INF = arcs.INF

#: seconds per (node x job) of a first round -- building the arc DP, setting
#: the modifiers and one forward pass -- measured on the 2-core machine of
#: this project: wt100.txt#10 with 164,001 nodes took 1.6 + 1.1 + 3.0 s. The
#: first round is not interrupted, so it starts only when this estimate fits
#: the run's time (with --time-limit 3 it overran it by 6-8 s).
FIRST_ROUND_RATE = 3.5e-7


def _nodes(domains, T: int, n: int):
    """Node arrays (sorted by completion time) and the (T + 1, n) index."""
    pairs = sorted((t, j) for j in range(n) for t in domains[j])
    node_time = np.array([t for t, _ in pairs], dtype=np.int64)
    node_job = np.array([j for _, j in pairs], dtype=np.int64)
    idx = np.full((T + 1, n), -1, dtype=np.int64)
    idx[node_time, node_job] = np.arange(len(pairs))
    return node_job, node_time, idx


def _windows(domains, M, T: int):
    """Per time t (0..T): ``free[t]``, the jobs of M (bit = position in M)
    that may or may not have completed by t (``min C <= t < max C`` over
    their domain), and ``done[t]``, those that must have (``max C <= t``)."""
    free = np.zeros(T + 1, dtype=np.int64)
    done = np.zeros(T + 1, dtype=np.int64)
    for pos, k in enumerate(M):
        lo, hi = min(domains[k]), max(domains[k])
        free[lo:hi] |= 1 << pos
        done[hi:] |= 1 << pos
    return free, done


def _popcount(x):
    x = np.asarray(x, dtype=np.int64)
    c = np.zeros(x.shape, dtype=np.int64)
    for b in range(63):
        c += (x >> b) & 1
    return c


class _ArcDP:
    """States (arc = last two jobs, subset of M done, stored only over the
    jobs of M whose window is open at the arc's time); see
    :mod:`schedcert.models.smtt_arcs`."""

    def __init__(self, p, d, w, T, domains):
        self.args = (p, d, w, T)
        self.node_job, self.node_time, idx = _nodes(domains, T, len(p))
        self.arcs = arcs.build_arcs(p, d, w, idx, self.node_job, self.node_time)
        self.head_time = self.node_time[self.arcs[2]]
        self.set_modifiers(domains, [])

    def _sizes(self, free):
        """Per arc, its number of subsets: 2^(jobs of M open at its head's time)."""
        return 1 << _popcount(free[self.head_time])

    def states(self, domains, M):
        """Number of (arc, subset) states with modifier set M."""
        return int(self._sizes(_windows(domains, M, self.args[3])[0]).sum())

    def set_modifiers(self, domains, M):
        n = len(self.args[0])
        self.bit = np.zeros(n, dtype=np.int64)
        for pos, j in enumerate(M):
            self.bit[j] = 1 << pos
        self.free, self.done = _windows(domains, M, self.args[3])
        self.off = np.concatenate(([0], np.cumsum(self._sizes(self.free)))).astype(np.int64)
        self.size = int(self.off[-1])
        _, tail, head = self.arcs[:3]
        self.maps = arcs.arc_maps(self.args[0], self.node_job, self.node_time, tail, head, self.bit,
                                  self.free, self.done)

    #: seconds of the last forward pass (the backward pass of alive_nodes
    #: takes 1.2-1.4 times as long: measured on wt100)
    last_forward = 0.0

    def forward(self, mu):
        t = time.perf_counter()
        p, d, w, T = self.args
        in_start, tail, head = self.arcs[:3]
        win = (self.off, *self.maps)
        G = arcs.forward(p, d, w, mu, self.node_job, self.node_time, in_start, tail, head, *win)
        value, path = arcs.best_path(p, d, w, mu, T, self.node_job, self.node_time, in_start, tail, head, *win, G)
        self.last_forward = time.perf_counter() - t
        return G, value, path

    def alive_nodes(self, mu, G, limit):
        p, d, w, T = self.args
        _, tail, head, out_start, out_arc = self.arcs
        H = arcs.backward(p, d, w, mu, T, self.node_job, self.node_time, tail, head, out_start, out_arc,
                          self.off, *self.maps)
        live = arcs.alive_arcs(G, H, self.off, limit)
        keep = np.zeros(len(self.node_job), dtype=bool)
        keep[tail[live]] = True
        keep[head[live]] = True
        return keep


def _subgradient(dp, mu, ub, iterations, deadline):
    """Re-optimise the multipliers over the modified DP (Tanaka et al.
    2009 re-run the subgradient at every stage): at most `iterations`
    steps, step ``lam (UB - LB) / ||g||²`` from lam = 0.5, halved after 5
    steps without improvement. Returns the best (mu, F, value, path)."""
    best = None
    lam, stall = 0.5, 0
    for _ in range(max(1, iterations)):
        F, value, path = dp.forward(mu)
        lb = value + mu.sum()
        if best is None or lb > best[2] + float(best[0].sum()) + 1e-9:
            best, stall = (mu.copy(), F, value, path), 0
        else:
            stall += 1
            if stall >= 5:
                lam, stall = lam / 2, 0
        if value >= INF or lb > ub - 1 + 1e-6 or time.perf_counter() > deadline:
            break
        g = 1.0 - np.bincount(np.asarray(path, dtype=np.int64), minlength=len(mu))
        if not g.any():
            break
        mu = mu + lam * (ub - lb) / float((g * g).sum()) * g
    return best


def modifier_rounds(inst: SmttInstance, mu, domains, ub: int, time_limit: float, max_states: int = 1 << 24,
                    max_modifiers: int = 62, iterations: int = 10, per_round: int = 4,
                    hard_limit: float | None = None) -> dict:
    """Grow the modifier set M and eliminate nodes until a proof, a
    schedule, or the limits (module docstring).

    Parameters
    ----------
    inst : SmttInstance
    mu : array (n,)
        Lagrangian multipliers (from the stage-1 subgradient).
    domains : list (n,) of sorted lists of int
        Completion times per job still possible in a schedule of cost
        <= ub - 1 (:func:`~schedcert.models.smtt_lagrange.completion_domains`).
    ub : int
        Objective of a known schedule.
    time_limit : float
        Seconds; checked between subgradient steps.
    hard_limit : float, optional
        Seconds to the end of the whole run (default `time_limit`): a round
        or its node elimination is not started when the DP pass it needs
        (timed on the last forward pass) would end after it.
    max_states, max_modifiers : int
        A job joins M only while the (arc, subset) states stay at most
        ``max_states`` and |M| at most ``max_modifiers`` (<= 62: subsets
        are int64 bit masks).
    iterations : int
        Subgradient steps per round.
    per_round : int
        Jobs added to M per round at most.

    Returns
    -------
    dict
        ``proven`` (True: no schedule costs <= ub - 1), ``bound`` (int,
        valid lower bound, ``ub`` when proven), ``sequence`` (an optimal
        schedule found as a relaxed path, else None), ``domains`` (the
        reduced domains), ``modifiers`` (|M|), ``rounds``, ``nodes``.
    """
    t0 = time.perf_counter()
    p = np.asarray(inst.p, dtype=np.int64)
    d = np.asarray(inst.d, dtype=np.int64)
    w = np.asarray(inst.w, dtype=np.int64)
    mu = np.asarray(mu, dtype=np.float64)
    n, T = inst.n, int(p.sum())
    out = {"proven": False, "bound": 0, "sequence": None, "domains": domains, "modifiers": 0, "rounds": 0,
           "nodes": sum(len(x) for x in domains)}
    if n == 1:  # one job: its only schedule
        cost = inst.tardiness((0,))
        out.update(proven=cost > ub - 1, bound=min(cost, ub), sequence=(0,) if cost <= ub - 1 else None)
        return out
    M: list[int] = []
    pending: list[int] = []
    nodes_before = -1
    deadline = t0 + time_limit
    last_pass = FIRST_ROUND_RATE * out["nodes"] * n  # the estimate of a first round, then the last forward pass
    hard = deadline if hard_limit is None else t0 + hard_limit
    # a DP pass is not interrupted (seconds each at n = 100): before the
    # run's end (`hard_limit`) a round starts only if a forward pass as long
    # as the last one fits, and eliminates nodes only if the backward pass
    # (about 1.4 forward passes) fits
    while time.perf_counter() - t0 < time_limit and time.perf_counter() + last_pass < hard:
        if any(not x for x in domains):
            out.update(proven=True, bound=ub)
            return out
        dp = _ArcDP(p, d, w, T, domains)
        grown = 0
        for j in pending:
            if len(M) < max_modifiers and dp.states(domains, M + [j]) <= max_states:
                M.append(j)
                grown += 1
        if pending and not grown and nodes_before == out["nodes"]:
            return out  # no room for another modifier, and nothing left to eliminate
        dp.set_modifiers(domains, M)
        mu, F, value, path = _subgradient(dp, mu, ub, iterations, deadline)
        last_pass = dp.last_forward
        smu = float(mu.sum())
        out["rounds"] += 1
        if value >= INF or value + smu > ub - 1 + 1e-6:
            out.update(proven=True, bound=ub)
            return out
        out["bound"] = max(out["bound"], int(np.ceil(value + smu - 1e-6)))
        counts = np.bincount(np.asarray(path, dtype=np.int64), minlength=n)
        if (counts == 1).all():  # a schedule, optimal for the relaxation: optimal
            out.update(sequence=tuple(int(j) for j in path))
            return out
        if time.perf_counter() + 1.4 * last_pass > hard:
            break
        keep = dp.alive_nodes(mu, F, ub - 1 + 1e-6 - smu)
        domains = [[] for _ in range(n)]
        for v in np.flatnonzero(keep):
            domains[int(dp.node_job[v])].append(int(dp.node_time[v]))
        nodes_before = out["nodes"]
        out.update(domains=domains, nodes=int(keep.sum()), modifiers=len(M))
        # Jobs the relaxed path repeats (Tanaka et al.) or leaves out, the
        # narrowest completion window first (fewest extra states)
        order = [j for j in range(n) if counts[j] != 1 and j not in M]
        order.sort(key=lambda j: (max(domains[j]) - min(domains[j]) if domains[j] else 0, j))
        pending = order[:per_round]
    return out
