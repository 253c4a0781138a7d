"""Serial schedule generation under the R-ConstraintBench extensions.

:func:`serial_sgs_ext` is Kolisch's (1996) serial SGS generalised to time
windows, capacity calendars, disjunctive pairs and time lags: activities are
taken in a precedence-feasible list and each is started at the earliest
period ``t >= max(release_j, S_i + p_i + min_lag_ij)`` such that for every
period of ``[t, t + p_j)`` the residual capacity profile (calendar minus the
load placed so far) covers its demands and no already placed disjunctive
partner is in process. The activity fails when that ``t`` would break its
deadline, the horizon or a maximum lag from a predecessor; the schedule
generation then fails and says which activity and why (serial SGS is not
complete for deadlines: a failure is not a proof of infeasibility).

:func:`sample_ext` runs the LST and LFT rules (latest times from the
deadlines and the horizon) and then regret-biased random sampling on LST
(Drexl 1991), keeping the shortest schedule found.
"""

from __future__ import annotations

import time

import numpy as np

from schedcert.instances.rcpsp import RcpspInstance, latest_starts, planning_horizon


def _profile(inst: RcpspInstance, length: int) -> np.ndarray:
    """Capacity ``c_k(t)``, shape (K, length)."""
    cap = np.zeros((inst.n_resources, length), dtype=np.int64)
    for k in range(inst.n_resources):
        for a, b, c in inst.capacity_segments(k, length):
            cap[k, a:b] = c
    return cap


def search_length(inst: RcpspInstance) -> int:
    """Periods the SGS may use: the instance's horizon, else the derived
    horizon plus the longest duration (room for a heuristic schedule that is
    longer than needed)."""
    h, _ = planning_horizon(inst)
    return h if inst.horizon is not None else h + max(inst.durations, default=0) + 1


def serial_sgs_ext(inst: RcpspInstance, order, length: int | None = None) -> tuple[list | None, str]:
    """Serial SGS on the precedence-feasible activity list `order` (n,).

    Returns
    -------
    (starts, reason) : list of int (n,) or None, str
        None and the reason (activity, constraint) when an activity cannot
        be placed.
    """
    length = length or search_length(inst)
    free = _profile(inst, length)
    p, names = inst.durations, inst.activity_names
    preds = inst.predecessors
    partners = [[] for _ in range(inst.n)]
    for i, j in inst.disjunctive:
        partners[i].append(j)
        partners[j].append(i)
    starts: list = [None] * inst.n
    for j in order:
        lo, hi = inst.release[j], length - p[j]
        why_hi = f"the horizon {length}"
        if inst.deadline[j] is not None and inst.deadline[j] - p[j] < hi:
            hi, why_hi = inst.deadline[j] - p[j], f"its deadline {inst.deadline[j]}"
        for i in preds[j]:
            mn, mx = inst.lag(i, j)
            lo = max(lo, starts[i] + p[i] + mn)
            if mx is not None and starts[i] + p[i] + mx < hi:
                hi, why_hi = starts[i] + p[i] + mx, f"the max lag {mx} after {names[i]}"
        if lo > hi:
            return None, f"activity {names[j]} cannot start by {hi} ({why_hi}); its predecessors end too late"
        t = _first_fit(inst, j, lo, hi, free, starts, partners[j])
        if t is None:
            return None, (f"activity {names[j]}: no period in [{lo}, {hi}] has room for it (resources, "
                          f"downtime or disjunctive partners); {why_hi} bounds the start")
        starts[j] = t
        if p[j]:
            free[:, t:t + p[j]] -= np.asarray(inst.demands[j], dtype=np.int64)[:, None]
    return starts, ""


def _first_fit(inst, j, lo, hi, free, starts, partners):
    """Earliest t in [lo, hi] where activity j fits (None if none)."""
    p = inst.durations[j]
    if p == 0:
        return lo
    length = free.shape[1]
    bad = np.zeros(length, dtype=bool)
    for k, r in enumerate(inst.demands[j]):
        if r:
            bad |= free[k] < r
    for i in partners:
        if starts[i] is not None and inst.durations[i]:
            bad[starts[i]:starts[i] + inst.durations[i]] = True
    cs = np.concatenate(([0], np.cumsum(bad)))
    ts = np.arange(lo, hi + 1)
    ok = cs[ts + p] - cs[ts] == 0
    hit = np.flatnonzero(ok)
    return int(ts[hit[0]]) if len(hit) else None


def _list(inst: RcpspInstance, prio, rng: np.random.Generator | None, alpha: float = 1.0) -> list:
    """Precedence-feasible list: smallest priority first, or with `rng` a
    regret-biased random choice (probability ~ (max prio - prio + 1)^alpha)."""
    left = [len(ps) for ps in inst.predecessors]
    eligible = [j for j in range(inst.n) if left[j] == 0]
    out = []
    while eligible:
        if rng is None:
            j = min(eligible, key=lambda a: (prio[a], a))
        else:
            v = np.array([prio[a] for a in eligible], dtype=float)
            w = ((v.max() - v + 1.0) / (v.max() - v.min() + 1.0)) ** alpha  # relative: no overflow to inf/inf
            j = eligible[int(rng.choice(len(eligible), p=w / w.sum()))]
        eligible.remove(j)
        out.append(j)
        for s in inst.successors[j]:
            left[s] -= 1
            if left[s] == 0:
                eligible.append(s)
    return out


def priorities(inst: RcpspInstance, rule: str, length: int) -> list:
    """``lst``: latest start times from deadlines, lags and the horizon;
    ``lft``: latest finish times (LST + p)."""
    ls = latest_starts(inst, length)
    if rule == "lst":
        return ls
    if rule == "lft":
        return [s + p for s, p in zip(ls, inst.durations)]
    raise ValueError(f"unknown rule {rule!r} for instances with extensions; expected lst or lft")


def sample_ext(inst: RcpspInstance, samples: int = 1000, time_budget: float | None = None, seed: int = 0,
               alpha: float = 1.0, target: int | None = None, first: bool = False) -> tuple[list | None, dict]:
    """Best schedule of the LST/LFT rules and `samples` biased random lists
    (within `time_budget` seconds; stop at makespan `target`, or with
    `first` at the first schedule found).

    Returns (starts or None, info with ``samples_done``, ``best_from`` and,
    when nothing was found, ``failure``: the last reason).
    """
    t0 = time.perf_counter()
    length = search_length(inst)
    best, best_ms, origin, reason = None, None, None, ""

    def consider(order, label):
        nonlocal best, best_ms, origin, reason
        st, why = serial_sgs_ext(inst, order, length)
        if st is None:
            reason = why
            return
        ms = max(s + p for s, p in zip(st, inst.durations))
        if best_ms is None or ms < best_ms:
            best, best_ms, origin = st, ms, label

    for rule in ("lst", "lft"):
        if best is None or not first:
            consider(_list(inst, priorities(inst, rule, length), None), f"sgs-{rule}")
    rng = np.random.default_rng(seed)
    prio = priorities(inst, "lst", length)
    done = 0
    while done < samples and (best_ms is None or (not first and (target is None or best_ms > target))):
        if time_budget is not None and time.perf_counter() - t0 > time_budget:
            break
        done += 1
        consider(_list(inst, prio, rng, alpha), f"sample {done}")
    info = {"samples_done": done, "best_from": origin}
    if best is None:
        info["failure"] = reason
    return best, info
