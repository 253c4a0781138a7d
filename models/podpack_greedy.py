"""Primal heuristic for a pod-packing tier: randomised greedy vector packing.

Works on the relaxation of :class:`~schedcert.models.podpack_bound.PatternLP`
(node types of interchangeable nodes, classes of identical pods that may go
to any node of an allowed type): place the frozen counts of the tiers
above and as many pods of the tier as possible, into the nodes one by one.
Two classical rule families for multi-dimensional (vector) bin packing,
after Panigrahy, Talwar, Uyeda & Wieder (2011), "Heuristics for Vector Bin
Packing" (Microsoft Research report), with requests normalised by the
node's allocatable:

* **first fit decreasing** (item-centric): pods in non-increasing order of
  a size (the largest normalised request, their sum, or one resource), each
  to the first node it fits on;
* **dot product** (bin-centric): fill one node at a time, always adding the
  pod that fits with the largest dot product between its normalised
  requests and the node's normalised free capacity.

Pods of higher tiers come first in both (the lexicographic objective), so
a packing that fits them all leaves the rest to the tier; where every pod
fits, size order across the tiers packs better, so both rules also run
with the tiers mixed (a packing must still place the frozen counts).
Later attempts perturb the sizes by a random factor in [1 − NOISE,
1 + NOISE] (seeded). When the best packing is below the target, the
swap search of :mod:`schedcert.models.podpack_ejection` improves it with
the second half of the time.
The dive (:mod:`schedcert.models.podpack_dive`) needs a converged pattern
LP; this heuristic needs none, and finds the packings of the many
scenarios where every pod fits (the bound is the tier's size) in
milliseconds. Like the dive's, its packing is a placement of the relaxation; the caller maps it to
real nodes and the validator checks the result.

The node patterns of all attempts (``pool``) are good columns for the
pattern LP: started with them, column generation on the 59 n = 8 and 16,
8 pods/node scenarios the 1 s grid left open ends 0.4 s with the certified
bounds 108 pods above ⌊LP⌋ in total instead of 391, and converged on 13
instead of 8.
"""

from __future__ import annotations

import time

import numpy as np

from schedcert.models.podpack_bound import PatternLP, relaxed_key
from schedcert.models.podpack_ejection import eject

NOISE = 0.15
ATTEMPT_SHARE = 0.5  # of the time, for the attempts when the local search follows
STALL = 200  # randomised attempts without a better packing after which the heuristic stops
#: seconds the deterministic rules may run past the deadline: all of them run up to a few hundred
#: pods (milliseconds), while 4 000 pods on 200 nodes took 2 s for the eight
RULES_GRACE = 0.25
MAX_CELLS = 2_000_000  # pods × nodes beyond which the heuristic is skipped (one attempt would be slow)


class _Items:
    """The pods of one packing attempt, expanded from the classes: per pod
    its class, tier rank (0 = highest tier with something to place),
    normalised requests, and the node types it may use."""

    def __init__(self, lp: PatternLP):
        order = sorted(set(lp.frozen) | {lp.tier_priority}, reverse=True)
        rank = {prio: i for i, prio in enumerate(order)}
        caps = np.array(lp.caps, dtype=np.float64)  # (types, R)
        scale = np.maximum(caps.max(axis=0), 1.0)
        cls = [c for c, cl in enumerate(lp.classes) if cl[0] in rank]
        self.cls = np.array([c for c in cls for _ in range(lp.classes[c][2])], dtype=np.int64)
        self.rank = np.array([rank[lp.classes[c][0]] for c in self.cls], dtype=np.int64)
        self.dem = np.array([lp.classes[c][1] for c in self.cls], dtype=np.int64).reshape(len(self.cls), caps.shape[1])
        self.norm = self.dem / scale
        self.ok = np.zeros((len(self.cls), len(lp.types)), dtype=bool)
        for i, c in enumerate(self.cls):
            self.ok[i, list(lp.classes[c][3])] = True
        self.need = np.array([lp.frozen.get(prio, 0) for prio in order[:-1]] + [0], dtype=np.int64)
        self.tiers = len(order)


def _nodes(lp: PatternLP):
    """(type index per node (nodes,), allocatable per node (nodes, R)), nodes
    numbered type by type."""
    kind = np.array([k for k, ns in enumerate(lp.types) for _ in ns], dtype=np.int64)
    cap = np.array([lp.caps[k] for k in kind], dtype=np.int64).reshape(len(kind), len(lp.caps[0]))
    return kind, cap


def first_fit(items: _Items, kind, cap, size, active, tiered=True) -> np.ndarray:
    """Node of each pod (−1: left out): the `active` pods by (tier rank,
    −size), or by −size alone if not `tiered`, each to the first node it
    fits on."""
    rem = cap.copy()
    where = np.full(len(items.cls), -1, dtype=np.int64)
    for i in (np.lexsort((-size, items.rank)) if tiered else np.argsort(-size, kind="stable")):
        if not active[i]:
            continue
        fits = np.nonzero(items.ok[i, kind] & (rem >= items.dem[i]).all(axis=1))[0]
        if len(fits):
            n = fits[0]
            rem[n] -= items.dem[i]
            where[i] = n
    return where


def dot_product(items: _Items, kind, cap, noise, active, tiered=True) -> np.ndarray:
    """Node of each pod (−1: left out): nodes filled one at a time, each
    time with the fitting `active` pod of the highest tier (of any tier if
    not `tiered`) whose normalised requests have the largest dot product
    with the node's normalised free capacity (times `noise`, per pod)."""
    where = np.full(len(items.cls), -1, dtype=np.int64)
    left = active.copy()
    for n in range(len(kind)):
        rem = cap[n].copy()
        scale = np.maximum(cap[n], 1).astype(np.float64)
        allowed = left & items.ok[:, kind[n]]
        while True:
            fits = np.nonzero(allowed & (items.dem <= rem).all(axis=1))[0]
            if not len(fits):
                break
            score = (items.dem[fits] / scale) @ (rem / scale) * noise[fits] - (4.0 * tiered) * items.rank[fits]
            i = fits[np.argmax(score)]
            rem -= items.dem[i]
            where[i] = n
            left[i] = allowed[i] = False
    return where


def _collect(pool: set, items: _Items, kind, where) -> None:
    """Add each node's pattern ``(type, ((class, pods), ...))`` of packing `where` to `pool`."""
    for n in np.unique(where[where >= 0]):
        cls, cnt = np.unique(items.cls[where == n], return_counts=True)
        pool.add((int(kind[n]), tuple(zip(cls.tolist(), cnt.tolist()))))


def greedy_packing(lp: PatternLP, target: int, deadline: float, seed: int = 0, search: bool = True,
                   pool: set | None = None):
    """Look for a packing of the relaxation that places the frozen counts
    of the tiers above and at least `target` pods of the tier (module
    docstring); the best packing found (most pods of the tier among those
    that place the frozen counts) is returned even when below `target`.

    Parameters
    ----------
    lp : PatternLP
        The tier's pattern LP (only its types, classes, capacities and
        frozen counts are read).
    target : int
        Pods of the tier wanted (typically the certified bound: reaching it
        proves the tier).
    deadline : float
        ``time.perf_counter()`` value; at least one rule runs, the
        deterministic rules until ``RULES_GRACE`` past it (all of them,
        in milliseconds, up to a few hundred pods), and at most ``STALL``
        attempts after the last better packing.
    seed : int
        Seed of the perturbations.
    search : bool
        Improve the best packing by the swap search of
        :mod:`schedcert.models.podpack_ejection` when it is below
        `target`: the attempts stop at ``ATTEMPT_SHARE`` of the time, the
        search has the rest (at least one round of ``STEPS`` steps).
    pool : set, optional
        Receives the node pattern ``(type, ((class index, pods), ...))`` of
        every node of every attempt (start columns for the pattern LP).

    Returns
    -------
    (packing or None, info)
        `packing`: per node ``(type, {relaxed class key: pods})``;
        info: attempts, pods of the tier placed, the rule that found it.
    """
    t0 = time.perf_counter()
    items = _Items(lp)
    kind, cap = _nodes(lp)
    info = {"target": target, "attempts": 0, "placed": None, "rule": None}
    if len(items.cls) * len(kind) > MAX_CELLS or not len(items.cls):
        info["skipped"] = True
        return None, info
    rng = np.random.default_rng(seed)
    sizes = {"max": items.norm.max(axis=1), "sum": items.norm.sum(axis=1)}
    for r in range(items.norm.shape[1]):
        sizes[f"r{r}"] = items.norm[:, r]
    best, best_key = None, None
    everyone = np.ones(len(items.cls), dtype=bool)
    tier = np.nonzero(items.rank == items.tiers - 1)[0]
    ones = np.ones(len(items.cls))
    rules = [("ffd-" + name, lambda size=size: first_fit(items, kind, cap, size, everyone)) for name, size in sizes.items()]
    rules.append(("dot", lambda: dot_product(items, kind, cap, ones, everyone)))
    if items.tiers > 1:  # all tiers mixed: when everything fits, size order packs best
        rules.append(("ffd-max-mixed", lambda: first_fit(items, kind, cap, sizes["max"], everyone, False)))
        rules.append(("dot-mixed", lambda: dot_product(items, kind, cap, ones, everyone, False)))
    if target < len(tier):  # only the `target` smallest pods of the tier: fewer, smaller pods fit more easily
        few = everyone.copy()
        few[tier[np.argsort(sizes["max"][tier], kind="stable")[target:]]] = False
        rules.append(("dot-smallest", lambda: dot_product(items, kind, cap, ones, few)))
        rules.append(("ffd-smallest", lambda: first_fit(items, kind, cap, sizes["max"], few)))
    attempt = last_gain = 0
    switch = t0 + ATTEMPT_SHARE * (deadline - t0) if search else deadline  # then the local search
    while True:
        if attempt < len(rules):
            rule, where = rules[attempt][0], rules[attempt][1]()
        else:
            noise = rng.uniform(1 - NOISE, 1 + NOISE, len(items.cls))
            active = everyone
            if target < len(tier) and attempt % 4 >= 2:  # a random choice among the smaller pods
                active = everyone.copy()
                active[tier[np.argsort(sizes["max"][tier] * noise[tier], kind="stable")[target:]]] = False
            tiered = items.tiers == 1 or attempt % 8 < 4
            if attempt % 2:
                rule, where = "dot~", dot_product(items, kind, cap, noise, active, tiered)
            else:
                rule, where = "ffd~", first_fit(items, kind, cap, sizes["max"] * noise, active, tiered)
            rule += "" if tiered else "-mixed"
        attempt += 1
        if pool is not None:
            _collect(pool, items, kind, where)
        counts = np.bincount(items.rank[where >= 0], minlength=items.tiers)
        if (counts[:-1] >= items.need[:-1]).all() and (best_key is None or counts[-1] > best_key):
            best, best_key, last_gain = where, int(counts[-1]), attempt
            info["placed"], info["rule"] = best_key, rule
        now = time.perf_counter()
        if (best_key is not None and best_key >= target) or now > max(deadline, t0 + RULES_GRACE) or (
                attempt >= len(rules) and (now > switch or attempt - last_gain > STALL)):
            break
    if search and best is not None and best_key < target:  # the local search, on the best packing only
        where = eject(items, kind, cap, best, target, deadline, seed)
        counts = np.bincount(items.rank[where >= 0], minlength=items.tiers)
        if (counts[:-1] >= items.need[:-1]).all() and counts[-1] > best_key:
            best, best_key = where, int(counts[-1])
            info["placed"], info["rule"] = best_key, info["rule"] + "+swaps"
    info["attempts"] = attempt
    info["time"] = round(time.perf_counter() - t0, 3)
    if best is None:
        return None, info
    packing = []
    for n in range(len(kind)):
        pat: dict = {}
        for i in np.nonzero(best == n)[0]:
            key = relaxed_key(lp.classes[items.cls[i]])
            pat[key] = pat.get(key, 0) + 1
        if pat:
            packing.append((int(kind[n]), pat))
    return packing, info
