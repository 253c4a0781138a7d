"""RCPSP heuristics: schedule generation schemes, priority rules,
forward-backward improvement and regret-biased random sampling.

Sources
-------
* Serial and parallel schedule generation schemes (SGS): Kolisch (1996),
  "Serial and parallel resource-constrained project scheduling methods
  revisited", EJOR 90:320-333.
* Priority rules LFT, LST, MTS, GRPW, SPT: Kolisch (1996); Alvarez-Valdés &
  Tamarit (1989).
* Regret-based biased random sampling: Drexl (1991); selection probability
  ``(rho_j + eps)^alpha`` with regret ``rho_j = max_{i in E} v_i - v_j``
  (Kolisch & Hartmann 1999, eq. 3).
* Forward-backward improvement / double justification: Tormos & Lova (2001);
  Valls, Ballestín & Quintanilla (2005).

Every method returns a validated :class:`~schedcert.result.Result` whose
bound is :func:`schedcert.instances.rcpsp.lower_bound` (critical path and
resource energy), so a gap is always shown.
"""

from __future__ import annotations

import time

import numpy as np
from numba import njit

from schedcert.errors import InputError
from schedcert.instances.rcpsp import (
    RcpspInstance,
    RcpspSolution,
    lower_bound,
    tails,
)
from schedcert.params import choice, integer, number
from schedcert.registry import method
from schedcert.result import Options, Result, Status

RULES = ("lft", "lst", "mts", "grpw", "spt")


# --------------------------------------------------------------------------
# Array form of an instance (CSR adjacency), forward and reversed
# --------------------------------------------------------------------------

class _Net:
    """Numeric arrays of one project network: ``dur`` (n,), ``dem`` (n, K),
    ``cap`` (K,), successor and predecessor lists in CSR form."""

    def __init__(self, durations, demands, capacities, successors):
        n = len(durations)
        self.n = n
        self.dur = np.asarray(durations, dtype=np.int64)
        self.dem = np.asarray(demands, dtype=np.int64).reshape(n, len(capacities))
        self.cap = np.asarray(capacities, dtype=np.int64)
        preds = [[] for _ in range(n)]
        for i, s in enumerate(successors):
            for j in s:
                preds[j].append(i)
        self.succ_ptr, self.succ_idx = _csr(successors)
        self.pred_ptr, self.pred_idx = _csr(preds)
        self.horizon = int(self.dur.sum()) + 1
        self.successors = [list(s) for s in successors]

    def reversed(self) -> "_Net":
        preds = [[] for _ in range(self.n)]
        for i, s in enumerate(self.successors):
            for j in s:
                preds[j].append(i)
        return _Net(self.dur, self.dem, self.cap, preds)


def _csr(lists):
    ptr = np.zeros(len(lists) + 1, dtype=np.int64)
    for i, lst in enumerate(lists):
        ptr[i + 1] = ptr[i] + len(lst)
    idx = np.asarray([j for lst in lists for j in lst], dtype=np.int64)
    return ptr, idx


def _net(instance: RcpspInstance) -> _Net:
    cached = instance.__dict__.get("_heuristic_net")
    if cached is None:
        cached = _Net(instance.durations, instance.demands, instance.capacities, instance.successors)
        object.__setattr__(instance, "_heuristic_net", cached)
    return cached


# --------------------------------------------------------------------------
# Kernels (numba)
# --------------------------------------------------------------------------

@njit(cache=True)
def _activity_list(prio, succ_ptr, succ_idx, pred_ptr, biased, alpha, eps):
    """Precedence-feasible activity list: repeatedly take the eligible activity
    of smallest ``prio`` (ties: smaller index), or with ``biased`` draw one with
    probability proportional to ``(max_E prio - prio_j + eps)^alpha``
    (computed relative to the largest, so any alpha works: as alpha grows the
    draw tends to the smallest ``prio``)."""
    n = prio.shape[0]
    remaining = np.empty(n, np.int64)
    for j in range(n):
        remaining[j] = pred_ptr[j + 1] - pred_ptr[j]
    eligible = np.empty(n, np.int64)
    m = 0
    for j in range(n):
        if remaining[j] == 0:
            eligible[m] = j
            m += 1
    order = np.empty(n, np.int64)
    weights = np.empty(n, np.float64)
    for pos in range(n):
        pick = 0
        if biased and m > 1:
            vmax = prio[eligible[0]]
            vmin = vmax
            for e in range(1, m):
                vmax = max(vmax, prio[eligible[e]])
                vmin = min(vmin, prio[eligible[e]])
            total = 0.0
            for e in range(m):  # divided by the largest weight: (regret + eps)^alpha overflowed for a large alpha
                w = ((vmax - prio[eligible[e]] + eps) / (vmax - vmin + eps)) ** alpha
                weights[e] = w
                total += w
            r = np.random.random() * total
            acc = 0.0
            pick = m - 1
            for e in range(m):
                acc += weights[e]
                if r < acc:
                    pick = e
                    break
        else:
            for e in range(1, m):
                a, b = eligible[e], eligible[pick]
                if prio[a] < prio[b] or (prio[a] == prio[b] and a < b):
                    pick = e
        j = eligible[pick]
        order[pos] = j
        m -= 1
        eligible[pick] = eligible[m]
        for q in range(succ_ptr[j], succ_ptr[j + 1]):
            s = succ_idx[q]
            remaining[s] -= 1
            if remaining[s] == 0:
                eligible[m] = s
                m += 1
    return order


@njit(cache=True)
def _serial_sgs(order, dur, dem, cap, pred_ptr, pred_idx, horizon):
    """Serial SGS (Kolisch 1996): schedule activities in list order, each at
    the earliest precedence- and resource-feasible start."""
    n = dur.shape[0]
    K = cap.shape[0]
    avail = np.empty((horizon, K), np.int64)
    for t in range(horizon):
        for k in range(K):
            avail[t, k] = cap[k]
    start = np.zeros(n, np.int64)
    finish = np.zeros(n, np.int64)
    for j in order:
        t = 0
        for q in range(pred_ptr[j], pred_ptr[j + 1]):
            f = finish[pred_idx[q]]
            if f > t:
                t = f
        d = dur[j]
        if d > 0:
            while True:
                conflict = -1
                tau = t + d - 1
                while tau >= t:  # scan backwards: jump past the latest conflict
                    bad = False
                    for k in range(K):
                        if avail[tau, k] < dem[j, k]:
                            bad = True
                            break
                    if bad:
                        conflict = tau
                        break
                    tau -= 1
                if conflict < 0:
                    break
                t = conflict + 1
            for tau in range(t, t + d):
                for k in range(K):
                    avail[tau, k] -= dem[j, k]
        start[j] = t
        finish[j] = t + d
    return start


@njit(cache=True)
def _parallel_sgs(prio, dur, dem, cap, succ_ptr, succ_idx, pred_ptr):
    """Parallel SGS (Kolisch 1996): at each decision point t (a finish time),
    start eligible activities in priority order while resources suffice."""
    n = dur.shape[0]
    K = cap.shape[0]
    remaining = np.empty(n, np.int64)
    for j in range(n):
        remaining[j] = pred_ptr[j + 1] - pred_ptr[j]
    ready = np.zeros(n, np.int64)  # earliest precedence-feasible time once remaining == 0
    state = np.zeros(n, np.int64)  # 0 waiting, 1 eligible (all preds scheduled), 2 scheduled
    start = np.zeros(n, np.int64)
    for j in range(n):
        if remaining[j] == 0:
            state[j] = 1
    used = np.zeros(K, np.int64)
    active = np.zeros(n, np.bool_)
    done = 0
    t = 0
    while done < n:
        # release activities finishing by t
        for a in range(n):
            if active[a] and start[a] + dur[a] <= t:
                active[a] = False
                for k in range(K):
                    used[k] -= dem[a, k]
        progress = True
        while progress:
            progress = False
            best = -1
            for j in range(n):
                if state[j] == 1 and ready[j] <= t:
                    fits = True  # an activity of zero duration occupies no period, whatever its demand
                    for k in range(K if dur[j] > 0 else 0):
                        if used[k] + dem[j, k] > cap[k]:
                            fits = False
                            break
                    if fits and (best < 0 or prio[j] < prio[best] or (prio[j] == prio[best] and j < best)):
                        best = j
            if best >= 0:
                j = best
                start[j] = t
                state[j] = 2
                done += 1
                progress = True
                if dur[j] > 0:
                    active[j] = True
                    for k in range(K):
                        used[k] += dem[j, k]
                for q in range(succ_ptr[j], succ_ptr[j + 1]):
                    s = succ_idx[q]
                    remaining[s] -= 1
                    if start[j] + dur[j] > ready[s]:
                        ready[s] = start[j] + dur[j]
                    if remaining[s] == 0:
                        state[s] = 1
        # next decision point: earliest finish of an active activity or ready time
        nxt = -1
        for a in range(n):
            if active[a]:
                f = start[a] + dur[a]
                if nxt < 0 or f < nxt:
                    nxt = f
            elif state[a] == 1 and ready[a] > t:
                if nxt < 0 or ready[a] < nxt:
                    nxt = ready[a]
        if nxt < 0:
            break
        t = nxt
    return start


@njit(cache=True)
def _seed(seed):
    np.random.seed(seed)


# --------------------------------------------------------------------------
# Python-level building blocks
# --------------------------------------------------------------------------

def priority_values(instance: RcpspInstance, rule: str) -> np.ndarray:
    """Priority value of each activity under `rule`; smaller is scheduled first.

    ``lft``: latest finish time; ``lst``: latest start time (both from the
    critical-path backward pass); ``mts``: most total successors (negated);
    ``grpw``: greatest rank positional weight ``p_j + sum of immediate
    successors' p`` (negated); ``spt``: shortest processing time.

    Returns
    -------
    ndarray of float, shape (n,)
    """
    q = np.asarray(tails(instance), dtype=np.float64)
    p = np.asarray(instance.durations, dtype=np.float64)
    cp = q.max() if len(q) else 0.0
    if rule == "lft":
        return cp - q + p
    if rule == "lst":
        return cp - q
    if rule == "spt":
        return p.copy()
    if rule == "grpw":
        return -np.array([p[j] + sum(p[s] for s in instance.successors[j]) for j in range(instance.n)])
    if rule == "mts":
        import networkx as nx

        g = nx.DiGraph(list(instance.edges()))
        g.add_nodes_from(range(instance.n))
        return -np.array([len(nx.descendants(g, j)) for j in range(instance.n)], dtype=np.float64)
    raise ValueError(f"unknown priority rule {rule!r}; expected one of {RULES}")


def serial_sgs(instance: RcpspInstance, activity_list) -> np.ndarray:
    """Start times (shape (n,)) of the serial SGS applied to a
    precedence-feasible `activity_list`."""
    net = _net(instance)
    return _serial_sgs(np.asarray(activity_list, np.int64), net.dur, net.dem, net.cap,
                       net.pred_ptr, net.pred_idx, net.horizon)


def activity_list(instance: RcpspInstance, prio, biased: bool = False, alpha: float = 1.0,
                  eps: float = 1.0) -> np.ndarray:
    """Precedence-feasible list by priority (smaller first) or regret-biased
    random choice (seed with :func:`seed`)."""
    net = _net(instance)
    return _activity_list(np.asarray(prio, np.float64), net.succ_ptr, net.succ_idx, net.pred_ptr,
                          biased, float(alpha), float(eps))


def parallel_sgs(instance: RcpspInstance, prio) -> np.ndarray:
    """Start times of the parallel SGS with priority values `prio`."""
    net = _net(instance)
    return _parallel_sgs(np.asarray(prio, np.float64), net.dur, net.dem, net.cap,
                         net.succ_ptr, net.succ_idx, net.pred_ptr)


def justify(instance: RcpspInstance, starts, max_rounds: int = 10) -> np.ndarray:
    """Forward-backward improvement (double justification).

    Backward pass: serial SGS on the reversed network taking activities by
    decreasing finish time (right-justification); forward pass: serial SGS
    taking them by increasing start time of the right-justified schedule.
    Repeated while the makespan decreases. Never worsens the makespan.
    """
    net = _net(instance)
    rev = instance.__dict__.get("_heuristic_rev")
    if rev is None:
        rev = net.reversed()
        object.__setattr__(instance, "_heuristic_rev", rev)
    best = np.asarray(starts, np.int64)
    best_ms = int((best + net.dur).max())
    for _ in range(max_rounds):
        finish = best + net.dur
        lst = _activity_list(-finish.astype(np.float64), rev.succ_ptr, rev.succ_idx, rev.pred_ptr, False, 1.0, 1.0)
        rs = _serial_sgs(lst, rev.dur, rev.dem, rev.cap, rev.pred_ptr, rev.pred_idx, rev.horizon)
        rms = int((rs + rev.dur).max())
        back = rms - rs - rev.dur  # start times in forward time
        lst = _activity_list(back.astype(np.float64), net.succ_ptr, net.succ_idx, net.pred_ptr, False, 1.0, 1.0)
        fwd = _serial_sgs(lst, net.dur, net.dem, net.cap, net.pred_ptr, net.pred_idx, net.horizon)
        ms = int((fwd + net.dur).max())
        if ms < best_ms:
            best, best_ms = fwd, ms
        else:
            break
    return best


def seed(value: int) -> None:
    """Seed the random generator used by biased sampling."""
    _seed(int(value))


def _makespan(instance, starts) -> int:
    return int((np.asarray(starts) + np.asarray(instance.durations)).max())


def sample(instance: RcpspInstance, samples: int = 1000, time_budget: float | None = None,
           seed_value: int = 0, alpha: float = 1.0, target: int | None = None) -> tuple[np.ndarray, dict]:
    """Best schedule of all deterministic rules (serial and parallel SGS, each
    justified) and of regret-biased random sampling (serial SGS, LFT values,
    each sample justified).

    Parameters
    ----------
    samples : int
        Random samples after the deterministic passes.
    time_budget : float, optional
        Seconds; sampling stops early when it is spent.
    target : int, optional
        Stop as soon as this makespan (e.g. a lower bound) is reached.

    Returns
    -------
    (starts, info) : ndarray (n,), dict with ``samples_done`` and the origin
    of the best schedule.
    """
    t0 = time.perf_counter()
    best, best_ms, origin = None, None, None

    def consider(st, label):
        nonlocal best, best_ms, origin
        ms = _makespan(instance, st)
        if best_ms is None or ms < best_ms:
            best, best_ms, origin = st, ms, label

    for rule in RULES:
        prio = priority_values(instance, rule)
        consider(justify(instance, serial_sgs(instance, activity_list(instance, prio))), f"sgs-{rule}+fbi")
        consider(justify(instance, parallel_sgs(instance, prio)), f"psgs-{rule}+fbi")
        if target is not None and best_ms <= target:
            break
    prio = priority_values(instance, "lft")
    seed(seed_value)
    done = 0
    while done < samples and (target is None or best_ms > target):
        if time_budget is not None and time.perf_counter() - t0 > time_budget:
            break
        st = justify(instance, serial_sgs(instance, activity_list(instance, prio, True, alpha)))
        done += 1
        consider(st, f"sample {done}")
    return best, {"samples_done": done, "best_from": origin}


# --------------------------------------------------------------------------
# Registered methods
# --------------------------------------------------------------------------

def _result(instance: RcpspInstance, starts, info=None) -> Result:
    sol = RcpspSolution(tuple(int(s) for s in starts))
    ms = sol.makespan(instance)
    lb = lower_bound(instance)
    return Result(
        problem="rcpsp", instance=instance.name, method="", status=Status.OPTIMAL if ms <= lb else Status.FEASIBLE,
        objective=ms, bound=lb, runtime=0.0,
        solver={"name": "schedcert-sgs", "version": "1", "params": info or {}},
        solution=sol, info=info or {},
    )


def _failed(instance: RcpspInstance, info: dict) -> Result:
    """No schedule found (extensions only): status unknown, with the reason."""
    return Result(problem="rcpsp", instance=instance.name, method="", status=Status.UNKNOWN, objective=None,
                  bound=lower_bound(instance), runtime=0.0,
                  solver={"name": "schedcert-sgs", "version": "1", "params": {}}, info=info)


def _extended_sgs(instance: RcpspInstance, rule: str) -> Result:
    """Serial SGS under windows, calendars, pairs and lags
    (:mod:`schedcert.heuristics.rcpsp_ext`); rules other than LST/LFT take
    their usual priority values."""
    from schedcert.heuristics import rcpsp_ext as X

    length = X.search_length(instance)
    prio = X.priorities(instance, rule, length) if rule in ("lst", "lft") else priority_values(instance, rule)
    starts, why = X.serial_sgs_ext(instance, X._list(instance, prio, None), length)
    return _result(instance, starts) if starts is not None else _failed(instance, {"failure": why})


def _plain_only(instance: RcpspInstance, name: str) -> None:
    if instance.extended:
        raise InputError(f"{name} does not handle release dates, deadlines, calendars, disjunctive pairs or lags;"
                         f" use sampling or sgs-RULE (serial SGS) on {instance.name}")


#: every rcpsp method takes the objective (a schedule generation scheme builds
#: a feasible schedule either way and reports its makespan)
OBJECTIVE_PARAM = {"objective": choice("makespan", "feasibility")}
#: ``--param`` kinds of ``sampling`` (and of ``ga``, which falls back to it)
SAMPLING_PARAMS = {"samples": integer(1), "alpha": number(0), **OBJECTIVE_PARAM}


def _register_rule(rule: str):
    @method("rcpsp", f"sgs-{rule}", "heuristic", f"serial SGS, {rule.upper()} priority rule", params=OBJECTIVE_PARAM)
    def _sgs(instance, options: Options, _rule=rule):
        if instance.extended:
            return _extended_sgs(instance, _rule)
        return _result(instance, serial_sgs(instance, activity_list(instance, priority_values(instance, _rule))))

    @method("rcpsp", f"psgs-{rule}", "heuristic", f"parallel SGS, {rule.upper()} priority rule",
            params=OBJECTIVE_PARAM)
    def _psgs(instance, options: Options, _rule=rule):
        _plain_only(instance, f"psgs-{_rule}")
        return _result(instance, parallel_sgs(instance, priority_values(instance, _rule)))

    @method("rcpsp", f"sgs-{rule}+fbi", "heuristic", f"serial SGS, {rule.upper()}, forward-backward improvement",
            params=OBJECTIVE_PARAM)
    def _sgs_fbi(instance, options: Options, _rule=rule):
        _plain_only(instance, f"sgs-{_rule}+fbi")
        st = serial_sgs(instance, activity_list(instance, priority_values(instance, _rule)))
        return _result(instance, justify(instance, st))

    @method("rcpsp", f"psgs-{rule}+fbi", "heuristic", f"parallel SGS, {rule.upper()}, forward-backward improvement",
            params=OBJECTIVE_PARAM)
    def _psgs_fbi(instance, options: Options, _rule=rule):
        _plain_only(instance, f"psgs-{_rule}+fbi")
        return _result(instance, justify(instance, parallel_sgs(instance, priority_values(instance, _rule))))


for _rule in RULES:
    _register_rule(_rule)


@method("rcpsp", "sampling", "heuristic",
        "best of all rules (serial+parallel SGS, justified) and regret-biased random sampling with "
        "justification; with windows/calendars/pairs/lags: serial SGS only (may fail); "
        "params: samples (1000), alpha (1.0)", params=SAMPLING_PARAMS)
def sampling(instance: RcpspInstance, options: Options) -> Result:
    """Registered ``sampling`` method: :func:`sample` with
    ``options.params`` ``samples`` (default 1000) and ``alpha`` (1.0), within
    ``options.time_limit``; stops early at the lower bound (with
    ``objective=feasibility``, on instances with extensions, at the first
    schedule). On instances with extensions: :func:`schedcert.heuristics.rcpsp_ext.sample_ext`, which may
    find no schedule (status unknown, ``info['failure']`` says why)."""
    samples = int(options.params.get("samples", 1000))
    alpha = float(options.params.get("alpha", 1.0))
    lb = lower_bound(instance)
    if instance.extended:
        from schedcert.heuristics.rcpsp_ext import sample_ext

        first = options.params.get("objective", "makespan") == "feasibility"
        starts, info = sample_ext(instance, samples, options.time_limit, options.seed, alpha, target=lb,
                                  first=first)
        info.update(samples=samples, alpha=alpha, seed=options.seed)
        return _result(instance, starts, info) if starts is not None else _failed(instance, info)
    starts, info = sample(instance, samples, options.time_limit, options.seed, alpha, target=lb)
    info.update(samples=samples, alpha=alpha, seed=options.seed)
    return _result(instance, starts, info)
