"""Activity-list genetic algorithm for the RCPSP.

Source: Hartmann (1998), "A competitive genetic algorithm for
resource-constrained project scheduling", Naval Research Logistics
45:733-750 — activity-list individuals decoded by the serial SGS, two-point
crossover (positions ``1..q1`` from the mother, ``q1+1..q2`` from the father
in his order of the activities not yet taken, the rest in the mother's
order; both children precedence-feasible), mutation by swapping adjacent
activities with probability ``p_mut`` when the second is not a successor
of the first, ranking selection (parents and children together, the best
``pop`` distinct activity lists survive). Every child is improved by forward-backward improvement
(double justification, Valls, Ballestín & Quintanilla 2005, "Justification
and RCPSP: a technique that pays", EJOR 165:375-386) and its activity list
replaced by the start order of the justified schedule, as Valls et al. do.
The first population is every priority-rule list and regret-biased LFT
samples (Kolisch & Hartmann 1999), each justified.
"""

from __future__ import annotations

import time

import numpy as np
from numba import njit

from schedcert.errors import InputError
from schedcert.heuristics.rcpsp import (RULES, SAMPLING_PARAMS, _activity_list, _net, _result, _seed, _serial_sgs,
                                        activity_list, priority_values, sampling)
from schedcert.instances.rcpsp import RcpspInstance, lower_bound
from schedcert.params import integer, number
from schedcert.registry import method
from schedcert.result import Options, Result


@njit(cache=True)
def _crossover(mother, father, q1, q2):
    """Hartmann's two-point crossover (module docstring); a daughter from
    (mother, father), a son from (father, mother)."""
    n = mother.shape[0]
    child = np.empty(n, np.int64)
    used = np.zeros(n, np.bool_)
    pos = 0
    for i in range(q1):
        child[pos] = mother[i]
        used[mother[i]] = True
        pos += 1
    for j in father:
        if pos >= q2:
            break
        if not used[j]:
            child[pos] = j
            used[j] = True
            pos += 1
    for j in mother:
        if not used[j]:
            child[pos] = j
            used[j] = True
            pos += 1
    return child


@njit(cache=True)
def _mutate(order, is_succ, p_mut):
    """Swap adjacent activities with probability `p_mut` each, when the
    second does not directly succeed the first (adjacent in a feasible list,
    only a direct arc can order them)."""
    for i in range(order.shape[0] - 1):
        if np.random.random() < p_mut and not is_succ[order[i], order[i + 1]]:
            order[i], order[i + 1] = order[i + 1], order[i]
    return order


@njit(cache=True)
def _decode(order, dur, dem, cap, succ_ptr, succ_idx, pred_ptr, pred_idx, horizon,
            rsucc_ptr, rsucc_idx, rpred_ptr, rpred_idx, max_rounds):
    """Serial SGS of `order`, then double justification while it helps.
    Returns (starts, makespan, activity list of the start order)."""
    best = _serial_sgs(order, dur, dem, cap, pred_ptr, pred_idx, horizon)
    best_ms = 0
    for j in range(best.shape[0]):
        best_ms = max(best_ms, best[j] + dur[j])
    for _ in range(max_rounds):
        finish = best + dur
        lst = _activity_list(-finish.astype(np.float64), rsucc_ptr, rsucc_idx, rpred_ptr, False, 1.0, 1.0)
        rs = _serial_sgs(lst, dur, dem, cap, rpred_ptr, rpred_idx, horizon)
        rms = 0
        for j in range(rs.shape[0]):
            rms = max(rms, rs[j] + dur[j])
        back = rms - rs - dur
        lst = _activity_list(back.astype(np.float64), succ_ptr, succ_idx, pred_ptr, False, 1.0, 1.0)
        fwd = _serial_sgs(lst, dur, dem, cap, pred_ptr, pred_idx, horizon)
        ms = 0
        for j in range(fwd.shape[0]):
            ms = max(ms, fwd[j] + dur[j])
        if ms < best_ms:
            best, best_ms = fwd, ms
        else:
            break
    return best, best_ms, _activity_list(best.astype(np.float64), succ_ptr, succ_idx, pred_ptr, False, 1.0, 1.0)


class _Decoder:
    """Binds the numeric arrays of one instance to :func:`_decode`."""

    def __init__(self, instance: RcpspInstance):
        net = _net(instance)
        rev = net.reversed()
        self.args = (net.dur, net.dem, net.cap, net.succ_ptr, net.succ_idx, net.pred_ptr, net.pred_idx, net.horizon,
                     rev.succ_ptr, rev.succ_idx, rev.pred_ptr, rev.pred_idx)
        self.is_succ = np.zeros((net.n, net.n), np.bool_)
        for i, succ in enumerate(instance.successors):
            for j in succ:
                self.is_succ[i, j] = True
        self.schedules = 0

    def __call__(self, order, rounds: int = 10):
        self.schedules += 1
        return _decode(np.asarray(order, np.int64), *self.args, rounds)


def genetic(instance: RcpspInstance, time_budget: float, pop: int = 40, p_mut: float = 0.05,
            seed_value: int = 0, target: int | None = None, max_generations: int | None = None,
            stall: int = 50):
    """Hartmann's GA with justification (module docstring).

    Parameters
    ----------
    time_budget : float
        Seconds (checked between generations and after the first population).
    pop : int
        Population size (Hartmann: 40).
    p_mut : float
        Mutation probability per adjacent pair (Hartmann: 0.05).
    target : int, optional
        Stop when this makespan (e.g. the lower bound) is reached.
    max_generations : int, optional
        Stop after this many generations.
    stall : int
        Stop after this many generations without a better makespan (the
        time is worth more to an exact method warm-started by the GA).

    Returns
    -------
    (starts, info) : ndarray (n,) of the best schedule; dict with
    ``generations``, ``schedules`` (decodings) and ``best_from``.
    """
    t0 = time.perf_counter()
    _seed(seed_value)
    rng = np.random.default_rng(seed_value)
    decode = _Decoder(instance)
    people = []  # (makespan, list, starts)

    def add(order, origin):
        starts, ms, lst = decode(order)
        people.append((int(ms), lst, starts, origin))

    for rule in RULES:
        add(activity_list(instance, priority_values(instance, rule)), f"sgs-{rule}+fbi")
    lft = priority_values(instance, "lft")
    while len(people) < pop and time.perf_counter() - t0 < time_budget:
        add(activity_list(instance, lft, True, 1.0), "sample")
    n = instance.n
    gen, last_better = 0, 0
    people.sort(key=lambda p: p[0])
    while time.perf_counter() - t0 < time_budget and len(people) >= 2 and n >= 2:
        if target is not None and people[0][0] <= target:
            break
        if max_generations is not None and gen >= max_generations or gen - last_better >= stall:
            break
        gen += 1
        incumbent = people[0][0]
        idx = rng.permutation(len(people))
        children = []
        for a, b in zip(idx[0::2], idx[1::2]):
            q1, q2 = sorted(rng.integers(0, n + 1, size=2))
            for mother, father in ((people[a][1], people[b][1]), (people[b][1], people[a][1])):
                child = _mutate(_crossover(mother, father, q1, q2), decode.is_succ, p_mut)
                starts, ms, lst = decode(child)
                children.append((int(ms), lst, starts, f"generation {gen}"))
        people = _survivors(people + children, pop)
        if people[0][0] < incumbent:
            last_better = gen
    best = people[0]
    return best[2], {"generations": gen, "schedules": decode.schedules, "best_from": best[3],
                     "population": pop, "p_mut": p_mut}


def _survivors(people: list, pop: int) -> list:
    """The `pop` best by makespan, each activity list once (duplicates would
    let one schedule take over the population)."""
    out, seen = [], set()
    for p in sorted(people, key=lambda p: p[0]):
        key = p[1].tobytes()
        if key not in seen:
            seen.add(key)
            out.append(p)
            if len(out) == pop:
                break
    return out


#: ``--param`` names ``ga`` reads on plain instances / on instances with extensions (where it runs ``sampling``)
GA_PARAMS = ("pop", "p_mut", "generations", "stall")
FALLBACK_PARAMS = ("samples", "alpha")


@method("rcpsp", "ga", "heuristic",
        "activity-list genetic algorithm (Hartmann 1998) with justification of every child (Valls et al. 2005); "
        "params: pop (40), p_mut (0.05), generations, stall (50); time limit (default 1 s); "
        "with windows/calendars/pairs/lags it runs sampling instead (params: samples, alpha)",
        params={"pop": integer(2), "p_mut": number(0, 1), "generations": integer(1), "stall": integer(1),
                **SAMPLING_PARAMS})
def ga(instance: RcpspInstance, options: Options) -> Result:
    """Registered ``ga`` method: :func:`genetic` within ``options.time_limit``
    (1 s without one), stopping at the lower bound. Instances with release
    dates, deadlines, calendars, pairs or lags run ``sampling`` instead (the
    GA's SGS ignores them; a GA over the extended serial SGS, with and
    without justification, was no better than sampling in the same time:
    4.66 % and 5.16 % against 4.62 % above CP-SAT's makespan at 1 s on 30
    ramp instances); ``info['fallback']`` and ``info['note']`` say so.

    Raises InputError for a ``--param`` that the path taken does not read
    (``samples``/``alpha`` on a plain instance, ``pop``/``p_mut``/
    ``generations``/``stall`` on one with extensions)."""
    unread = [k for k in (GA_PARAMS if instance.extended else FALLBACK_PARAMS) if k in options.params]
    if unread:
        it = "it" if len(unread) == 1 else "them"
        raise InputError(f"--param {', '.join(unread)}: " + (
            f"ga reads {it} only on plain instances; {instance.name} has release dates, deadlines, calendars, "
            "pairs or lags, where ga runs sampling (params: samples, alpha)" if instance.extended else
            f"ga reads {it} only on instances with extensions (where it runs sampling); {instance.name} has none"))
    if instance.extended:
        res = sampling(instance, options)
        res.info = dict(res.info, fallback="sampling", note="ga ran sampling: the GA's schedule generation ignores "
                        "release dates, deadlines, calendars, disjunctive pairs and lags")
        return res
    pop = int(options.params.get("pop", 40))
    p_mut = float(options.params.get("p_mut", 0.05))
    gens = options.params.get("generations")
    stall = int(options.params.get("stall", 50))
    budget = 1.0 if options.time_limit is None else float(options.time_limit)
    starts, info = genetic(instance, budget, pop, p_mut, options.seed, target=lower_bound(instance),
                           max_generations=None if gens is None else int(gens), stall=stall)
    return _result(instance, starts, info)
