"""Constructive rules and local search for 1||ΣTj and 1||ΣwjTj.

Every rule maps an instance to a sequence (0-based job indices). Conventions
shared by all rules: time starts at 0; "ties" are broken by job index unless
stated; for 1||ΣTj all weights are 1, so the weighted forms reduce to the
classical ones.

Rules
    EDD (Jackson 1955): non-decreasing due date, ties by job index (a stable
    sort, as the paper's code; it reproduces their EDD figures on n = 100).
    SPT: non-decreasing processing time, ties earlier due date.
    WSPT (Smith 1956): non-decreasing ``p_j / w_j``, ties earlier due date.
    MDD (Baker & Bertrand 1982): at time t pick the job minimising the
    modified due date ``max(d_j, t + p_j)``; weighted (WMDD, Kanet & Li 2004):
    minimise ``max(p_j, d_j - t) / w_j``.
    PSK (Panwalkar, Smith & Koulamas 1993).
    ATC (Vepsalainen & Morton 1987): maximise
    ``w_j/p_j * exp(-max(0, d_j - p_j - t) / (k * mean p of unscheduled))``.
    COVERT (Carroll 1965): maximise
    ``w_j/p_j * max(0, 1 - max(0, d_j - t - p_j) / (k * p_j))``.
    EDDC and MDDC (Çetinkaya, Büyüktahtakın, Shojaee & Reddy, arXiv
    2510.24013): the LLM-discovered "EDD Challenger" and "MDD Challenger".
    Augmented forms (the paper's, after Bean & Hall): after each job is
    appended, every earlier job is tried at the end of the partial sequence
    and the best strictly improving move is kept.

Local search (``X+ls`` composes any rule with one of these)
    ``api``: adjacent pairwise interchange descent; ``swap``: pairwise
    interchange descent; ``insert``: insertion descent (first improvement);
    ``dynasearch``: swap dynasearch (Congram, Potts & van de Velde 2002) —
    a dynamic program picks the best set of independent pairwise
    interchanges per pass, to a local optimum; ``ids``: iterated dynasearch
    (same paper): random kicks of ``kick`` (6; at most 10 000) interchanges
    followed by dynasearch, accepting equal or better, within the time budget
    (``--param ls_time=SECONDS``, default 1 s; never past the time limit).
"""

from __future__ import annotations

import time
from fractions import Fraction
from itertools import accumulate

import numba
import numpy as np

from schedcert.instances.smtt import SmttInstance, SmttSolution, lower_bound
from schedcert.params import SECONDS, choice, integer, number
from schedcert.registry import method
from schedcert.result import Options, Result, Status


def _arrays(inst: SmttInstance):
    return (np.asarray(inst.p, dtype=np.int64), np.asarray(inst.d, dtype=np.int64),
            np.asarray(inst.w, dtype=np.int64))


# ---------------------------------------------------------------- sort rules

def edd(inst: SmttInstance) -> list[int]:
    """EDD (Jackson 1955): jobs by non-decreasing due date ``d_j``, ties by
    job index (a stable sort, as the code of arXiv 2510.24013). Returns the
    sequence: a permutation of the 0-based job indices, length n."""
    return sorted(range(inst.n), key=lambda j: (inst.d[j], j))


def spt(inst: SmttInstance) -> list[int]:
    """SPT: jobs by non-decreasing processing time ``p_j``, ties by earlier
    due date, then index. Returns a permutation of the 0-based job indices."""
    return sorted(range(inst.n), key=lambda j: (inst.p[j], inst.d[j], j))


def wspt(inst: SmttInstance) -> list[int]:
    """WSPT (Smith 1956; optimal for 1||ΣwjCj): jobs by non-decreasing
    ``p_j / w_j`` (exact fractions), ties by earlier due date, then index.
    Returns a permutation of the 0-based job indices."""
    return sorted(range(inst.n), key=lambda j: (Fraction(inst.p[j], inst.w[j]), inst.d[j], j))


# ---------------------------------------------------------------- dispatch rules

def _dispatch(inst: SmttInstance, score, order=None) -> list[int]:
    """Repeatedly append the unscheduled job with the smallest
    ``score(t, jobs)`` (numpy arrays of the unscheduled jobs, in `order`;
    argmin takes the first of equal scores)."""
    rest = np.array(order if order is not None else range(inst.n), dtype=np.int64)
    p = np.asarray(inst.p, dtype=np.int64)
    t, seq = 0, []
    while rest.size:
        k = int(np.argmin(score(t, rest)))
        j = int(rest[k])
        seq.append(j)
        t += int(p[j])
        rest = np.delete(rest, k)
    return seq


def mdd(inst: SmttInstance) -> list[int]:
    """MDD (Baker & Bertrand 1982): at time t (the sum of the processing
    times scheduled so far) append the unscheduled job with the smallest
    modified due date ``max(d_j, t + p_j)``; on weighted instances WMDD
    (Kanet & Li 2004): the smallest ``max(p_j, d_j - t) / w_j``. Ties: the
    lowest job index. Returns a permutation of the 0-based job indices."""
    p, d, w = _arrays(inst)
    if not inst.weighted:
        return _dispatch(inst, lambda t, r: np.maximum(d[r], t + p[r]))
    return _dispatch(inst, lambda t, r: np.maximum(p[r], d[r] - t) / w[r])


def atc(inst: SmttInstance, k: float = 2.0) -> list[int]:
    """ATC, apparent tardiness cost (Vepsalainen & Morton 1987): at time t
    append the unscheduled job with the largest
    ``w_j / p_j * exp(-max(0, d_j - p_j - t) / (k * p̄))``, p̄ the mean
    processing time of the unscheduled jobs; `k` is the look-ahead
    parameter (dimensionless, > 0). Ties: the earlier job in EDD order.
    Returns a permutation of the 0-based job indices."""
    p, d, w = _arrays(inst)
    return _dispatch(inst, lambda t, r: -(w[r] / p[r]) * np.exp(
        -np.maximum(0, d[r] - p[r] - t) / (k * p[r].mean())), edd(inst))


def covert(inst: SmttInstance, k: float = 2.0) -> list[int]:
    """COVERT, cost over time (Carroll 1965): at time t append the
    unscheduled job with the largest
    ``w_j / p_j * max(0, 1 - max(0, d_j - t - p_j) / (k * p_j))`` (`k`:
    slack in multiples of ``p_j`` below which a job counts as urgent; > 0).
    Ties: the earlier job in EDD order. Returns a permutation of the
    0-based job indices."""
    p, d, w = _arrays(inst)
    return _dispatch(inst, lambda t, r: -(w[r] / p[r]) * np.maximum(
        0.0, 1.0 - np.maximum(0, d[r] - t - p[r]) / (k * p[r])), edd(inst))


def psk(inst: SmttInstance) -> list[int]:
    """PSK (Panwalkar, Smith & Koulamas 1993). Unscheduled jobs in SPT order
    (ties: earlier due date); at time C the first one is the active job i.
    (1) If i is the only job, or late if started now (``C + p_i >= d_i``),
    schedule it. (2) Otherwise scan the following jobs j: if
    ``d_i <= C + p_j`` (i would be late after j) schedule i; else if
    ``d_j < d_i`` j becomes the active job; when the scan ends, schedule the
    active job."""
    rest = spt(inst)
    p, d = inst.p, inst.d
    t, seq = 0, []
    while rest:
        i = rest[0]
        if len(rest) > 1 and t + p[i] < d[i]:
            for j in rest[1:]:
                if d[i] <= t + p[j]:
                    break
                if d[j] < d[i]:
                    i = j
        seq.append(i)
        rest.remove(i)
        t += p[i]
    return seq


def eddc(inst: SmttInstance, order: str = "spt") -> list[int]:
    """EDD Challenger (arXiv 2510.24013). Start from the jobs in SPT order
    (ties: earlier due date) — ``order="edd"`` starts from EDD order instead
    — then for i = 2..n move the i-th job towards the front: walking left
    from its position j, whenever ``d[S_j] < d[S_{j-1}]`` and the job at
    j-1 is early at its current completion time
    (``d[S_{j-1}] > C_{j-1} = Σ_{k<=j-1} p[S_k]``) the two are swapped; the
    walk goes on to the front either way.

    Note: with ``order="edd"`` no pair is ever out of due-date order, so the
    rule returns EDD itself; the SPT start is what the published code
    (``np.lexsort((d, p))``) does and what makes EDDC differ from EDD."""
    s = spt(inst) if order == "spt" else edd(inst)
    p, d = inst.p, inst.d
    before = list(accumulate((p[x] for x in s), initial=0))  # before[j]: Σ p[S_k], k < j (was summed per step: n^3)
    for i in range(1, len(s)):
        j = i
        while j > 0 and d[s[j]] < d[s[j - 1]]:
            if d[s[j - 1]] > before[j]:
                s[j], s[j - 1] = s[j - 1], s[j]
                before[j] = before[j - 1] + p[s[j - 1]]  # only the sum up to the swapped pair changes
            j -= 1
    return s


def mddc(inst: SmttInstance, order: str = "edd") -> list[int]:
    """MDD Challenger (arXiv 2510.24013). At time t (sum of the scheduled
    processing times), over the unscheduled jobs U with ``pmax = max p``,
    ``pbar = mean p`` over U:

    ``m_j = min(1, p_j / (t + pmax))``,
    ``u_j = max(1.1 p_j + t, d_j) * (1 + m_j^2 / (1 + m_j^2)) + p_j / (t + pbar)``;

    append the job with the smallest ``u_j``, ties to the first in the
    initial order: EDD (due date, then processing time) as in the published
    code, or ``order="spt"``."""
    p, d, _ = _arrays(inst)
    pf = p.astype(float)

    def score(t, r):
        pr = pf[r]
        m = np.minimum(1.0, pr / (t + pr.max()))
        return np.maximum(1.1 * pr + t, d[r]) * (1 + m * m / (1 + m * m)) + pr / (t + pr.mean())

    start = edd(inst) if order == "edd" else spt(inst)
    return _dispatch(inst, score, start)


# ---------------------------------------------------------------- kernels (numba)

@numba.njit(cache=True)
def _cost(p, d, w, seq):
    t = 0
    total = 0
    for j in seq:
        t += p[j]
        if t > d[j]:
            total += w[j] * (t - d[j])
    return total


@numba.njit(cache=True)
def _augment(p, d, w, seq):
    """The paper's augmentation: after each append, move the earlier job
    whose move to the end lowers the partial cost most (strictly)."""
    n = seq.size
    part = np.empty(n, dtype=np.int64)
    trial = np.empty(n, dtype=np.int64)
    for m in range(n):
        part[m] = seq[m]
        best = _cost(p, d, w, part[:m + 1])
        besti = -1
        for i in range(m):
            k = 0
            for x in range(m + 1):
                if x != i:
                    trial[k] = part[x]
                    k += 1
            trial[m] = part[i]
            c = _cost(p, d, w, trial[:m + 1])
            if c < best:
                best = c
                besti = i
        if besti >= 0:
            job = part[besti]
            for x in range(besti, m):
                part[x] = part[x + 1]
            part[m] = job
    return part


@numba.njit(cache=True)
def _g(w, d, j, c):
    return w[j] * (c - d[j]) if c > d[j] else 0


@numba.njit(cache=True)
def _api(p, d, w, seq):
    s = seq.copy()
    n = s.size
    improved = True
    while improved:
        improved = False
        t = 0
        for i in range(n - 1):
            a, b = s[i], s[i + 1]
            old = _g(w, d, a, t + p[a]) + _g(w, d, b, t + p[a] + p[b])
            new = _g(w, d, b, t + p[b]) + _g(w, d, a, t + p[a] + p[b])
            if new < old:
                s[i], s[i + 1] = b, a
                improved = True
            t += p[s[i]]
    return s


@numba.njit(cache=True)
def _completions(p, s):
    c = np.empty(s.size, dtype=np.int64)
    t = 0
    for k in range(s.size):
        t += p[s[k]]
        c[k] = t
    return c


@numba.njit(cache=True)
def _swap_delta(p, d, w, s, c, i, j):
    """Cost change of interchanging positions i < j."""
    a, b = s[i], s[j]
    base = c[i - 1] if i > 0 else 0
    delta = p[b] - p[a]
    diff = _g(w, d, b, base + p[b]) - _g(w, d, a, c[i]) + _g(w, d, a, c[j]) - _g(w, d, b, c[j])
    if delta != 0:
        for k in range(i + 1, j):
            x = s[k]
            diff += _g(w, d, x, c[k] + delta) - _g(w, d, x, c[k])
    return diff


@numba.njit(cache=True)
def _insert_delta(p, d, w, s, c, i, j):
    """Cost change of moving the job at position i to position j (i != j)."""
    a = s[i]
    if i < j:  # jobs i+1..j move forward by p_a, a ends where j ended
        diff = _g(w, d, a, c[j]) - _g(w, d, a, c[i])
        for k in range(i + 1, j + 1):
            diff += _g(w, d, s[k], c[k] - p[a]) - _g(w, d, s[k], c[k])
    else:  # jobs j..i-1 move back by p_a, a ends p_a after position j-1
        base = c[j - 1] if j > 0 else 0
        diff = _g(w, d, a, base + p[a]) - _g(w, d, a, c[i])
        for k in range(j, i):
            diff += _g(w, d, s[k], c[k] + p[a]) - _g(w, d, s[k], c[k])
    return diff


@numba.njit(cache=True)
def _descent(p, d, w, seq, insertion):
    """First-improvement descent to a local optimum: pairwise interchange
    of positions i < j, or (``insertion``) moving position i to j."""
    s = seq.copy()
    n = s.size
    improved = True
    while improved:
        improved = False
        c = _completions(p, s)
        for i in range(n):
            for j in range(0 if insertion else i + 1, n):
                if i == j:
                    continue
                if insertion:
                    if _insert_delta(p, d, w, s, c, i, j) < 0:
                        a = s[i]
                        if i < j:
                            s[i:j] = s[i + 1:j + 1].copy()
                        else:
                            s[j + 1:i + 1] = s[j:i].copy()
                        s[j] = a
                        c = _completions(p, s)
                        improved = True
                elif _swap_delta(p, d, w, s, c, i, j) < 0:
                    s[i], s[j] = s[j], s[i]
                    c = _completions(p, s)
                    improved = True
    return s


def _swap(p, d, w, seq):
    return _descent(p, d, w, seq, False)


def _insert(p, d, w, seq):
    return _descent(p, d, w, seq, True)


@numba.njit(cache=True)
def _dynasearch_pass(p, d, w, s, table=True):
    """One swap-dynasearch pass on `s` in place (Congram, Potts & van de
    Velde 2002, section 3): F(j) = min(F(j-1) + g(s_j), min_i F(i-1) + cost
    of swapping positions i and j); the best set of independent swaps is
    applied. Returns True if it lowered the cost.

    Swapping positions i < j shifts every job between them by
    δ = p_b − p_a, which takes only 2R + 1 values (R = max p − min p). With
    `table` and 2R + 1 <= 4n + 64, prefix sums of g(s_k, c_k + δ) per δ give
    each middle sum in O(1): O(n² + Rn) per pass instead of O(n³) (n = 500:
    1.3 ms instead of 56 ms). Both ways give the same pass."""
    n = s.size
    f = np.empty(n + 1, dtype=np.int64)
    choice = np.empty(n + 1, dtype=np.int64)
    c = _completions(p, s)
    lo, hi = p.min(), p.max()
    r = hi - lo
    use = table and 2 * r + 1 <= 4 * n + 64
    tab = np.zeros((2 * r + 1 if use else 1, n + 1), dtype=np.int64)
    if use:
        for e in range(2 * r + 1):
            for k in range(n):
                tab[e, k + 1] = tab[e, k] + _g(w, d, s[k], c[k] + e - r)
    f[0] = 0
    for j in range(n):
        best = f[j] + _g(w, d, s[j], c[j])
        arg = -1
        for i in range(j):
            base = c[i - 1] if i > 0 else 0
            a, b = s[i], s[j]
            delta = p[b] - p[a]
            v = f[i] + _g(w, d, b, base + p[b]) + _g(w, d, a, c[j])
            if use:
                v += tab[delta + r, j] - tab[delta + r, i + 1]
            else:
                for k in range(i + 1, j):
                    v += _g(w, d, s[k], c[k] + delta)
            if v < best:
                best = v
                arg = i
        f[j + 1] = best
        choice[j + 1] = arg
    if f[n] >= _cost(p, d, w, s):
        return False
    j = n
    while j > 0:
        i = choice[j]
        if i >= 0:
            s[i], s[j - 1] = s[j - 1], s[i]
            j = i
        else:
            j -= 1
    return True


@numba.njit(cache=True)
def _dynasearch(p, d, w, seq):
    """Swap dynasearch passes to a local optimum; returns a new array."""
    s = seq.copy()
    while _dynasearch_pass(p, d, w, s):
        pass
    return s


def dynasearch(inst: SmttInstance, seq, seconds: float | None = None) -> np.ndarray:
    """Swap dynasearch from `seq` to a local optimum, or until `seconds`
    have passed (checked between passes). Returns the improved sequence."""
    return _timed_dynasearch(*_arrays(inst), seq, seconds)


def _timed_dynasearch(p, d, w, seq, seconds):
    s = np.array(seq, dtype=np.int64)
    if seconds is None:
        return _dynasearch(p, d, w, s)
    end = time.perf_counter() + seconds
    while time.perf_counter() < end and _dynasearch_pass(p, d, w, s):
        pass
    return s


MAX_KICK = 10_000  # interchanges per kick; a kick of 10^9 ran 26 s past a 3 s limit, 10^20 overflowed numba


@numba.njit(cache=True)
def _kick(s, moves, seed):
    np.random.seed(seed)
    t = s.copy()
    n = t.size
    for _ in range(moves):
        i = np.random.randint(n)
        j = np.random.randint(n)
        t[i], t[j] = t[j], t[i]
    return t


def iterated_dynasearch(inst: SmttInstance, seq, seconds: float, seed: int = 0, kick: int = 6) -> np.ndarray:
    """Iterated dynasearch (Congram et al. 2002, section 4): dynasearch, then
    repeat {kick with `kick` random interchanges, dynasearch; accept if not
    worse} until `seconds` (counted from the call, first descent included)
    pass. Returns the best sequence found."""
    end = time.perf_counter() + seconds
    p, d, w = _arrays(inst)
    cur = _timed_dynasearch(p, d, w, seq, seconds)
    cur_cost = _cost(p, d, w, cur)
    best, best_cost = cur.copy(), cur_cost
    it = 0
    while time.perf_counter() < end and best_cost > 0 and inst.n > 1:
        it += 1
        cand = _timed_dynasearch(p, d, w, _kick(cur, kick, seed * 1_000_003 + it), end - time.perf_counter())
        cc = _cost(p, d, w, cand)
        if cc <= cur_cost:
            cur, cur_cost = cand, cc
            if cc < best_cost:
                best, best_cost = cand.copy(), cc
    return best


# ---------------------------------------------------------------- registration

def augmented(inst: SmttInstance, seq) -> list[int]:
    """The augmented form of the rule that built `seq` (arXiv 2510.24013,
    after Bean & Hall): jobs are appended in `seq`'s order, and after each
    append every earlier job is tried at the end of the partial sequence,
    the best strictly improving move kept. `seq`: 0-based job indices,
    length n; returns a permutation of them."""
    p, d, w = _arrays(inst)
    return [int(x) for x in _augment(p, d, w, np.asarray(seq, dtype=np.int64))]


RULES = {
    "edd": (edd, "earliest due date (Jackson 1955)"),
    "spt": (spt, "shortest processing time"),
    "wspt": (wspt, "weighted shortest processing time (Smith 1956)"),
    "mdd": (mdd, "modified due date (Baker & Bertrand 1982); WMDD when weighted"),
    "psk": (psk, "Panwalkar, Smith & Koulamas 1993"),
    "atc": (None, "apparent tardiness cost (Vepsalainen & Morton 1987); param k (2)"),
    "covert": (None, "cost over time (Carroll 1965); param k (2)"),
    "eddc": (None, "EDD Challenger (arXiv 2510.24013); param order spt|edd (spt)"),
    "mddc": (None, "MDD Challenger (arXiv 2510.24013); param order edd|spt (edd)"),
}


def run_rule(inst: SmttInstance, name: str, params: dict) -> list[int]:
    """The sequence of rule `name` (``aug-`` prefix: augmented form)."""
    base = name[4:] if name.startswith("aug-") else name
    if base == "atc":
        seq = atc(inst, float(params.get("k", 2.0)))
    elif base == "covert":
        seq = covert(inst, float(params.get("k", 2.0)))
    elif base == "eddc":
        seq = eddc(inst, str(params.get("order", "spt")))
    elif base == "mddc":
        seq = mddc(inst, str(params.get("order", "edd")))
    else:
        seq = RULES[base][0](inst)
    return augmented(inst, seq) if name.startswith("aug-") else seq


def result(inst: SmttInstance, seq, info=None) -> Result:
    """Heuristic Result with the cheap bound :func:`~schedcert.instances.smtt.lower_bound`
    (the pairing bound), so a sequence reaching it is proven optimal."""
    sol = SmttSolution(tuple(int(j) for j in seq))
    obj = inst.tardiness(sol.sequence)
    lb = min(lower_bound(inst), obj)
    return Result(problem="smtt", instance=inst.name, method="",
                  status=Status.OPTIMAL if obj <= lb else Status.FEASIBLE, objective=obj, bound=lb,
                  runtime=0.0, solution=sol, info=info or {})


def _rule_params(name: str) -> dict:
    """The ``--param`` keys of rule `name` (:func:`run_rule`)."""
    base = name[4:] if name.startswith("aug-") else name
    return {"atc": {"k": number(above=0)}, "covert": {"k": number(above=0)}, "eddc": {"order": choice("spt", "edd")},
            "mddc": {"order": choice("edd", "spt")}}.get(base, {})


def _register_rule(name, desc):
    @method("smtt", name, "heuristic", desc, params=_rule_params(name))
    def _run(instance: SmttInstance, options: Options, _name=name):
        return result(instance, run_rule(instance, _name, options.params))


for _name, (_fn, _desc) in RULES.items():
    _register_rule(_name, _desc)
    if _name not in ("spt", "wspt"):
        _register_rule("aug-" + _name, "augmented " + _name.upper() + " (re-insertion after each append, "
                       "arXiv 2510.24013)")


LOCAL_SEARCH = {
    "api": (_api, "adjacent pairwise interchange descent"),
    "swap": (_swap, "pairwise interchange descent"),
    "insert": (_insert, "insertion descent"),
    "dynasearch": (None, "swap dynasearch to a local optimum or the time limit (Congram, Potts & van de Velde "
                         "2002)"),
    "ids": (None, "iterated dynasearch within --param ls_time seconds (Congram et al. 2002)"),
}


def improve(inst: SmttInstance, seq, name: str, options: Options) -> np.ndarray:
    """Local search `name` from `seq`."""
    s = np.asarray(seq, dtype=np.int64)
    if name == "dynasearch":
        return dynasearch(inst, s, options.time_limit)
    if name == "ids":
        seconds = float(options.params.get("ls_time", 1.0))
        if options.time_limit is not None:  # ls_time=8 with --time-limit 1 ran for 8.00 s
            seconds = min(seconds, options.time_limit)
        return iterated_dynasearch(inst, s, seconds, options.seed, int(options.params.get("kick", 6)))
    return LOCAL_SEARCH[name][0](*_arrays(inst), s)


def _register_ls(name, desc):
    @method("smtt", name, "heuristic", desc + "; starts from the warm start, else EDD", improves=True,
            params={"ls_time": SECONDS, "kick": integer(1, MAX_KICK)} if name == "ids" else {})
    def _run(instance: SmttInstance, options: Options, _name=name):
        start = options.warm_start.sequence if options.warm_start is not None else edd(instance)
        t0 = time.perf_counter()
        seq = improve(instance, start, _name, options)
        return result(instance, seq, {"start_objective": instance.tardiness(start),
                                      "ls_time": round(time.perf_counter() - t0, 4)})


for _name, (_fn, _desc) in LOCAL_SEARCH.items():
    _register_ls(_name, _desc)
