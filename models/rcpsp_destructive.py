"""Destructive lower bound for the RCPSP: refute "makespan <= T".

A trial makespan T is refuted (no schedule ends by T) when one of three
tests fails on the start windows ``[ES_j, LS_j]`` implied by T:

1. **Precedence propagation** of the windows over the precedences and the
   energetic minimum delays of
   :func:`~schedcert.models.rcpsp.pairwise_delays`.
2. **Energetic reasoning** (Baptiste, Le Pape & Nuijten 2001, ch. 3;
   Lopez & Esquirol 1996): for a resource k and an interval ``[t1, t2)``,
   activity j must spend at least
   ``W_j = max(0, min(p_j, t2 - t1, ES_j + p_j - t1, t2 - LS_j))`` inside it,
   so ``sum_j r_jk W_j <= R_k (t2 - t1)`` (detection), and an activity whose
   left- (right-) shifted part does not fit into the energy the others leave
   must start after ``t2 - e`` (end before ``t1 + e``), ``e`` the units of
   time it may still spend there (adjustment). Intervals: ``t1`` in
   ``{ES_j, LS_j, ES_j + p_j}``, ``t2`` in ``{LS_j + p_j, ES_j + p_j, LS_j}``.
3. **LP relaxation with time windows** (Brucker & Knust 2000, "A linear
   programming and constraint propagation-based lower bound for the RCPSP",
   EJOR 127; the preemptive "feasible subsets" LP of Mingozzi et al. 1998
   restricted to the windows): cut the horizon at every ``ES_j`` and
   ``LS_j + p_j`` into intervals ``I_tau`` of length ``l_tau``; a column is
   a set F of activities that may run together (pairwise not
   precedence-related, demands within every capacity) and whose windows
   contain ``I_tau``; ``x_{F,tau} >= 0`` is how long F runs in ``I_tau``.
   ``sum_F x_{F,tau} <= l_tau`` and ``sum_{tau, F ni j} x_{F,tau} >= p_j``
   must have a solution. Columns are the maximal compatible sets cut down to
   the activities allowed in ``I_tau`` (enumerated once by
   :func:`compatible_sets`; the LP test is left out when there are more
   than :data:`SET_LIMIT`).

Tests 1+2 run to a fixpoint; shaving (Martin & Shmoys 1996; Brucker &
Knust use it with the LP) then tries each activity at its earliest (latest)
start: when the tests refute that, the window loses that time unit. One
round of shaving uses tests 1+2, further rounds also the LP, until a round
shrinks the windows by less than :data:`MIN_SHRINK` (or falls behind that
pace early on, :data:`MIN_PACE`).

Every step removes only start times that no schedule ending by T can use,
so a refutation proves ``C_max >= T + 1``. Only for instances without
R-ConstraintBench extensions. The CP-SAT model runs :class:`Refuter` on
``T = UB - 1`` beside its proof portfolio
(:func:`schedcert.models.rcpsp.refute_seconds`).
"""

from __future__ import annotations

import threading
import time

import highspy
import networkx as nx
import numba
import numpy as np

from schedcert.instances.rcpsp import RcpspInstance, earliest_starts, tails, topological_order
from schedcert.milp import new_highs

#: most maximal compatible sets enumerated before the LP test is left out
#: (and :class:`Refuter` does not run): with 945-2934 sets, 27 j60
#: instances ran out of a 6 s budget without a refutation, taking a core
#: from CP-SAT; the j30 refutations had 51-125 sets, the j30 runs <= 355
SET_LIMIT = 500


#: rounds of LP shaving stop (not refuted) once a round shrinks the total
#: window width sum_j (LS_j - ES_j) by less than this share: on j3029_3 at
#: T = 77 the first round takes 55 % and the second refutes; on j3013_2,
#: j3029_6, j3029_8 at their optimum - 1 (not refuted at the fixpoint) the
#: first takes 9-14 % and later rounds under 1 %
MIN_SHRINK = 0.25

#: an LP round also stops early (not refuted) once, after the k-th of m
#: activities (k >= m / 3), it has shrunk the total width by less than
#: ``MIN_PACE * MIN_SHRINK * k / m``: on j3029_3 at T = 77 (refuted) the
#: first LP round has taken 28 % after 10 of 30 activities, on j3013_2,
#: j3013_6, j3029_6 and j3029_8 at their optimum - 1 (not refuted) 1-5 %
MIN_PACE = 0.5


class _TooMany(Exception):
    pass


class Windows:
    """Start-window propagation for one instance (tests 1 and 2 above).

    Attributes: ``n``; ``p`` (n,) durations; ``r`` (n, K) demands; ``cap``
    (K,) capacities; the precedences and minimum delays as arrays of
    ``S_j >= S_i + d`` sorted for one forward and one backward pass.
    """

    def __init__(self, instance: RcpspInstance):
        from schedcert.models.rcpsp import pairwise_delays  # here: that module imports this one

        self.n = instance.n
        self.p = np.array(instance.durations, dtype=np.int64)
        self.r = np.array(instance.demands, dtype=np.int64).reshape(self.n, instance.n_resources)
        self.cap = np.array([instance.peak_capacity(k) for k in range(instance.n_resources)], dtype=np.int64)
        pos = {j: t for t, j in enumerate(topological_order(instance))}
        edges = [(i, j, int(self.p[i])) for i, j in instance.edges()]
        edges += [(i, j, d) for (i, j), d in pairwise_delays(instance).items()]
        self.forward = np.array(sorted(edges, key=lambda e: pos[e[0]]), dtype=np.int64).reshape(-1, 3)
        self.backward = np.array(sorted(edges, key=lambda e: -pos[e[1]]), dtype=np.int64).reshape(-1, 3)

    def propagate(self, es, ls) -> bool:
        """Tighten ``es``/``ls`` (int64 arrays, changed in place) to the
        fixpoint of tests 1 and 2; False if they refute the windows."""
        return _propagate(es, ls, self.p, self.r, self.cap, self.forward, self.backward)


@numba.njit(cache=True)
def _precedence(es, ls, forward, backward):
    for e in range(forward.shape[0]):
        i, j, d = forward[e, 0], forward[e, 1], forward[e, 2]
        if es[i] + d > es[j]:
            es[j] = es[i] + d
    for e in range(backward.shape[0]):
        i, j, d = backward[e, 0], backward[e, 1], backward[e, 2]
        if ls[j] - d < ls[i]:
            ls[i] = ls[j] - d
    for j in range(es.shape[0]):
        if es[j] > ls[j]:
            return False
    return True


@numba.njit(cache=True)
def _least(p, length, es, ls, t1, t2):
    """W_j: least time activity j (window [es, ls]) spends in [t1, t2)."""
    return max(0, min(p, length, es + p - t1, t2 - ls))


@numba.njit(cache=True)
def _energetic(es, ls, p, r, cap):
    """One energetic-reasoning pass over all resources (Gauss-Seidel: an
    adjusted window counts at once); -1 refuted, 1 changed, 0 not."""
    n, K = r.shape
    changed = 0
    t1s = np.empty(3 * n, np.int64)
    t2s = np.empty(3 * n, np.int64)
    for k in range(K):
        m = 0
        for j in range(n):
            if r[j, k] > 0 and p[j] > 0:
                t1s[m], t1s[m + 1], t1s[m + 2] = es[j], ls[j], es[j] + p[j]
                t2s[m], t2s[m + 1], t2s[m + 2] = ls[j] + p[j], es[j] + p[j], ls[j]
                m += 3
        if m < 6:
            continue
        for t1 in np.unique(t1s[:m]):
            for t2 in np.unique(t2s[:m]):
                if t2 <= t1:
                    continue
                length = t2 - t1
                avail = cap[k] * length
                total = 0
                for j in range(n):
                    if r[j, k] > 0 and p[j] > 0:
                        total += r[j, k] * _least(p[j], length, es[j], ls[j], t1, t2)
                if total > avail:
                    return -1
                for i in range(n):
                    ri = r[i, k]
                    if ri == 0 or p[i] == 0:
                        continue
                    wi = _least(p[i], length, es[i], ls[i], t1, t2)
                    e = (avail - total + ri * wi) // ri  # time i may still spend in [t1, t2)
                    if p[i] <= e or length <= e:
                        continue
                    if es[i] + p[i] - t1 > e and es[i] < t2 - e:  # left-shifted: too much inside
                        es[i] = t2 - e
                        changed = 1
                    if t2 - ls[i] > e and ls[i] > t1 + e - p[i]:  # right-shifted: too much inside
                        ls[i] = t1 + e - p[i]
                        changed = 1
                    if es[i] > ls[i]:
                        return -1
                    total += ri * (_least(p[i], length, es[i], ls[i], t1, t2) - wi)
    return changed


@numba.njit(cache=True)
def _propagate(es, ls, p, r, cap, forward, backward):
    while True:
        if not _precedence(es, ls, forward, backward):
            return False
        c = _energetic(es, ls, p, r, cap)
        if c < 0:
            return False
        if c == 0:
            return True


def _members(mask: int):
    """Activities (bit positions) of a bit mask, lowest first."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def compatible_sets(instance: RcpspInstance, limit: int = SET_LIMIT) -> list[int] | None:
    """Maximal sets of activities that may be in process together: pairwise
    not related by the (transitive) precedences and within every capacity.

    Returns bit masks (bit j = activity j; activities of zero duration left
    out), or None when more than `limit` sets or ``50 * limit`` search nodes
    would be needed.
    """
    n, K = instance.n, instance.n_resources
    p, r = instance.durations, instance.demands
    cap = [instance.peak_capacity(k) for k in range(K)]
    g = nx.DiGraph(list(instance.edges()))
    g.add_nodes_from(range(n))
    acts = [j for j in range(n) if p[j] > 0]
    comp = {}
    for j in acts:
        related = nx.ancestors(g, j) | nx.descendants(g, j)
        comp[j] = sum(1 << a for a in acts if a != j and a not in related
                      and all(r[a][k] + r[j][k] <= cap[k] for k in range(K)))
    out: list[int] = []
    budget = [50 * limit]

    def fits(use, a):
        return all(use[k] + r[a][k] <= cap[k] for k in range(K))

    def grow(chosen, use, later, others):
        """`later`: higher-numbered activities compatible with all chosen;
        `others`: every activity compatible with all chosen."""
        budget[0] -= 1
        if budget[0] < 0 or len(out) > limit:
            raise _TooMany
        extended = False
        for a in _members(later):
            if fits(use, a):
                extended = True
                grow(chosen | 1 << a, [use[k] + r[a][k] for k in range(K)],
                     later & comp[a] & ~((2 << a) - 1), others & comp[a])
        if not extended and not any(fits(use, a) for a in _members(others & ~chosen)):
            out.append(chosen)

    try:
        for a in acts:  # sets whose lowest activity is a
            grow(1 << a, list(r[a]), comp[a] & ~((1 << (a + 1)) - 1), comp[a])
    except _TooMany:
        return None
    return out


def lp_feasible(p, es, ls, sets: list[int], deadline: float | None = None) -> bool:
    """Test 3: does the LP relaxation with time windows have a solution?

    ``p``, ``es``, ``ls``: (n,) durations, earliest and latest starts;
    `sets` from :func:`compatible_sets`. Solved by HiGHS as "minimise the
    total overload ``sum_tau y_tau``" with ``sum_F x_{F,tau} - y_tau <=
    l_tau``; infeasible when the optimum exceeds 1e-6. Raises TimeoutError
    when ``time.perf_counter()`` passes `deadline` while the LP is built or
    solved (with tens of thousands of sets a single LP takes minutes).
    """
    acts = [j for j in range(len(p)) if p[j] > 0]
    cuts = sorted({int(es[j]) for j in acts} | {int(ls[j] + p[j]) for j in acts})
    row_of = {j: len(cuts) - 1 + i for i, j in enumerate(acts)}
    starts, index, value, cost = [], [], [], []
    for tau in range(len(cuts) - 1):
        if deadline is not None and time.perf_counter() > deadline:
            raise TimeoutError("LP relaxation not built before the deadline")
        t1, t2 = cuts[tau], cuts[tau + 1]
        allowed = sum(1 << j for j in acts if es[j] <= t1 and t2 <= ls[j] + p[j])
        for f in {m & allowed for m in sets} - {0}:
            starts.append(len(index))
            index.append(tau)
            index.extend(row_of[j] for j in _members(f))
            cost.append(0.0)
    n_rows = len(cuts) - 1 + len(acts)
    value = [1.0] * len(index)
    for tau in range(len(cuts) - 1):  # overload y_tau
        starts.append(len(index))
        index.append(tau)
        value.append(-1.0)
        cost.append(1.0)
    starts.append(len(index))
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = len(cost), n_rows
    lp.col_cost_ = np.array(cost)
    lp.col_lower_ = np.zeros(len(cost))
    lp.col_upper_ = np.full(len(cost), highspy.kHighsInf)
    lp.row_lower_ = np.array([-highspy.kHighsInf] * (len(cuts) - 1) + [float(p[j]) for j in acts])
    lp.row_upper_ = np.array([float(cuts[t + 1] - cuts[t]) for t in range(len(cuts) - 1)]
                             + [highspy.kHighsInf] * len(acts))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(value)
    h = new_highs()
    h.setOptionValue("presolve", "off")  # small LPs: primal simplex without presolve was fastest
    h.setOptionValue("simplex_strategy", 4)  # (j3013_2 at T = 61: 2.9 s against 4.7 s with the defaults)
    if deadline is not None:
        h.setOptionValue("time_limit", max(deadline - time.perf_counter(), 0.0))
    h.passModel(lp)
    h.run()
    if h.getModelStatus() == highspy.HighsModelStatus.kTimeLimit:
        raise TimeoutError("LP relaxation not solved before the deadline")
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(f"HiGHS: LP relaxation ended {h.modelStatusToString(h.getModelStatus())}")
    return h.getInfo().objective_function_value <= 1e-6


def shave_windows(instance: RcpspInstance, T: int, sets: list[int] | None = None, deadline: float | None = None,
                  cancel: threading.Event | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """Start windows every schedule of makespan <= T keeps, or None if the
    tests above prove there is no such schedule.

    Returns ``(ES, LS)``, int64 arrays (n,): every schedule ending by T has
    ``ES_j <= S_j <= LS_j``. `sets` from :func:`compatible_sets` (None: the
    LP test is left out). Raises TimeoutError once ``time.perf_counter()``
    passes `deadline` or `cancel` is set.
    """
    win = Windows(instance)
    es = np.array(earliest_starts(instance), dtype=np.int64)
    ls = np.array([T - q for q in tails(instance)], dtype=np.int64)
    if not win.propagate(es, ls):
        return None

    def consistent(e, l, use_lp):
        if deadline is not None and time.perf_counter() > deadline or cancel is not None and cancel.is_set():
            raise TimeoutError("window shaving stopped")
        e, l = e.copy(), l.copy()
        return win.propagate(e, l) and (not use_lp or lp_feasible(win.p, e, l, sets, deadline))

    if not _shave(win, es, ls, lambda e, l: consistent(e, l, False)):
        return None
    if sets is None:
        return es, ls
    if not consistent(es, ls, True):
        return None
    while True:
        before = int(np.sum(ls - es))
        if not _shave(win, es, ls, lambda e, l: consistent(e, l, True), MIN_PACE * MIN_SHRINK):
            return None
        after = int(np.sum(ls - es))
        if after == before or after > (1 - MIN_SHRINK) * before:
            return es, ls


def refute_makespan(instance: RcpspInstance, T: int, seconds: float | None = None,
                    sets: list[int] | None = None, cancel: threading.Event | None = None) -> bool | None:
    """Whether "no schedule has makespan <= T" is proven by
    :func:`shave_windows`: True (refuted: ``T + 1`` is a lower bound), False
    (not refuted) or None (`seconds` ran out or `cancel` was set first).
    `sets` None means :func:`compatible_sets` is called here."""
    deadline = None if seconds is None else time.perf_counter() + seconds
    if sets is None:
        sets = compatible_sets(instance)
    try:
        return shave_windows(instance, T, sets, deadline, cancel) is None
    except TimeoutError:
        return None


def _shave(win: Windows, es, ls, consistent, pace: float = 0.0) -> bool:
    """One round of shaving: cut each activity's earliest (latest) starts
    while `consistent` refutes them; False if a window empties. The tested
    range doubles after each refutation and falls back to one start time
    after a failure (galloping), so a cut of m time units takes about
    2 log2(m) tests instead of m. The round ends early (True) once, after
    the k-th of m activities (k >= m / 3), the total width has shrunk by
    less than the share ``pace * k / m``."""
    active = [i for i in range(win.n) if win.p[i] > 0]
    width = int(np.sum(ls - es))
    for k, i in enumerate(active, start=1):
        for side in (0, 1):
            step = 1
            while es[i] <= ls[i]:
                e, l = es.copy(), ls.copy()
                if side == 0:  # S_i in [ES_i, ES_i + step - 1]?
                    l[i] = min(e[i] + step - 1, l[i])
                else:  # S_i in [LS_i - step + 1, LS_i]?
                    e[i] = max(l[i] - step + 1, e[i])
                if consistent(e, l):
                    if step == 1:
                        break
                    step = 1
                    continue
                if side == 0:
                    es[i] = l[i] + 1
                else:
                    ls[i] = e[i] - 1
                step *= 2
                if es[i] > ls[i] or not win.propagate(es, ls):
                    return False
        if 3 * k >= len(active) and width - int(np.sum(ls - es)) < pace * width * k / len(active):
            return True
    return True


class Refuter(threading.Thread):
    """:func:`refute_makespan` of ``T`` in a background thread beside a
    CP-SAT solve: stops `solver` (``stop_search()``) once T is refuted.

    Only started when :func:`compatible_sets` stays within its limit (the LP
    test is what makes the refutation strong); ``refuted`` is then True,
    False or None as returned, ``seconds_used`` its wall time. Call
    :meth:`finish` after the solve.
    """

    def __init__(self, instance: RcpspInstance, T: int, seconds: float, solver):
        super().__init__(daemon=True)
        self.instance, self.T, self.seconds, self.solver = instance, T, seconds, solver
        self.cancel = threading.Event()
        self.refuted: bool | None = None
        self.seconds_used = 0.0

    def run(self):
        t0 = time.perf_counter()
        sets = compatible_sets(self.instance)
        if sets is not None:
            self.refuted = refute_makespan(self.instance, self.T, self.seconds, sets, self.cancel)
        self.seconds_used = round(time.perf_counter() - t0, 3)
        while self.refuted and not self.cancel.wait(0.05):  # also if the solve had not begun yet
            self.solver.stop_search()

    def finish(self) -> bool | None:
        """Cancel if still running, wait, and return ``refuted``."""
        self.cancel.set()
        self.join()
        return self.refuted
