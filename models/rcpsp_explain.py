"""Why an RCPSP instance (with R-ConstraintBench extensions) has no schedule.

:func:`explain_infeasibility` returns a small set of the instance's
constraints that cannot all hold, in the user's terms ("activity 12's
deadline 40", "resource crew downtime [30, 45)", "precedence 7->12").

Method: every constraint a user states becomes *soft*, switched on by its
own literal (release dates, deadlines, the horizon, each precedence and
maximum lag, each resource's capacity, each calendar segment, each
disjunctive pair); durations and demands stay hard. CP-SAT solves with all
literals as assumptions and, on infeasibility, returns a sufficient subset
(``sufficient_assumptions_for_infeasibility``, an unsat core). The core is
then shrunk by deletion (Chinneck & Dravnieks 1991; the "deletion filter"
for irreducible infeasible subsets): drop one constraint, and if the rest is
still infeasible it stays dropped. When every deletion test ends in a proof
either way, the result is irreducible: removing any one of its constraints
makes the instance feasible (all other constraints relaxed).
"""

from __future__ import annotations

import dataclasses
import time

from ortools.sat.python import cp_model

from schedcert.instances.rcpsp import RcpspInstance, planning_horizon
from schedcert.interrupt import run_cpsat


def _soft_model(inst: RcpspInstance):
    """The instance with every user-stated constraint behind a literal.

    Returns (model, [(literal, description, (i, j) for a plain precedence
    else None)]).
    """
    m = cp_model.CpModel()
    n, p, names = inst.n, inst.durations, inst.activity_names
    relaxed, _ = planning_horizon(dataclasses.replace(inst, horizon=None, deadline=(None,) * n))
    big = max(relaxed, inst.horizon or 0) + 1
    soft = []

    def lit(text, edge=None):
        b = m.new_bool_var(text)
        soft.append((b, text, edge))
        return b

    starts = [m.new_int_var(0, big, f"S{j}") for j in range(n)]
    ivs = [m.new_fixed_size_interval_var(starts[j], p[j], f"I{j}") for j in range(n)]
    for j in range(n):
        if inst.release[j]:
            m.add(starts[j] >= inst.release[j]).only_enforce_if(lit(f"activity {names[j]}'s release date "
                                                                     f"{inst.release[j]}"))
        if inst.deadline[j] is not None:
            m.add(starts[j] + p[j] <= inst.deadline[j]).only_enforce_if(
                lit(f"activity {names[j]}'s deadline {inst.deadline[j]}"))
    if inst.horizon is not None:
        h = lit(f"the horizon {inst.horizon}")
        for j in range(n):
            m.add(starts[j] + p[j] <= inst.horizon).only_enforce_if(h)
    for i, j in inst.edges():
        lo, hi = inst.lag(i, j)
        extra = f" (min lag {lo})" if lo else ""
        m.add(starts[j] >= starts[i] + p[i] + lo).only_enforce_if(
            lit(f"the precedence {names[i]}->{names[j]}{extra}", None if lo else (i, j)))
        if hi is not None:
            m.add(starts[j] <= starts[i] + p[i] + hi).only_enforce_if(
                lit(f"the max lag {hi} of {names[i]}->{names[j]}"))
    for k, rname in enumerate(inst.resource_names):
        used = [j for j in range(n) if p[j] > 0 and inst.demands[j][k] > 0]
        if not used:
            continue
        peak = inst.peak_capacity(k)
        total = sum(inst.demands[j][k] for j in used)
        cap_on = lit(f"resource {rname}'s capacity {inst.capacities[k]}")
        cap = m.new_int_var(peak, max(peak, total + peak), f"cap{k}")
        m.add(cap == peak).only_enforce_if(cap_on)
        items = [(ivs[j], inst.demands[j][k]) for j in used]
        for a, b, c in inst.capacity_segments(k, big + max(p, default=0)):
            if c >= peak:
                continue
            if (a, b, c) in inst.calendars[k]:
                what = "downtime" if c == 0 else f"capacity {c} during"
                on = lit(f"resource {rname} {what} [{a}, {b})")
            else:
                on = cap_on  # a stretch at the default capacity, below the peak
            items.append((m.new_optional_fixed_size_interval_var(a, b - a, on, f"D{k}_{a}"), peak - c))
        m.add_cumulative([iv for iv, _ in items], [d for _, d in items], cap)
    for i, j in inst.disjunctive:
        if p[i] == 0 or p[j] == 0:
            continue
        on = lit(f"the disjunctive pair {names[i]}/{names[j]}")
        first = m.new_bool_var(f"o{i}_{j}")
        m.add(starts[j] >= starts[i] + p[i]).only_enforce_if([on, first])
        m.add(starts[i] >= starts[j] + p[j]).only_enforce_if([on, first.Not()])
    return m, soft


def _solve(model, lits, seconds, seed):
    """(status, sufficient subset of `lits` or None) with `lits` assumed."""
    model.clear_assumptions()
    model.add_assumptions(lits)
    s = cp_model.CpSolver()
    s.parameters.num_workers = 1
    s.parameters.random_seed = seed
    s.parameters.max_time_in_seconds = max(0.05, seconds)
    st = run_cpsat(s, model)
    core = None
    if st == cp_model.INFEASIBLE:
        idx = set(s.sufficient_assumptions_for_infeasibility())
        core = [x for x in lits if x.Index() in idx] or None
    return st, core


def explain_infeasibility(inst: RcpspInstance, time_limit: float = 30.0, seed: int = 0) -> dict | None:
    """A small set of the instance's constraints that cannot all hold.

    Parameters
    ----------
    inst : RcpspInstance
    time_limit : float
        Seconds for the whole explanation (core extraction and shrinking).

    Returns
    -------
    dict or None
        ``{"constraints": [description, ...], "irreducible": bool,
        "text": one sentence}``; None if no conflict was proven within the
        time limit (e.g. the instance is feasible once the horizon is
        relaxed, or the search timed out).
    """
    t0 = time.perf_counter()
    model, soft = _soft_model(inst)
    text = {x.Index(): (t, e) for x, t, e in soft}
    lits = [x for x, _, _ in soft]
    st, core = _solve(model, lits, time_limit, seed)
    if st != cp_model.INFEASIBLE:
        return None
    core = core or lits
    decisive, k = True, 0
    while k < len(core):
        left = time_limit - (time.perf_counter() - t0)
        if left <= 0:
            decisive = False
            break
        trial = core[:k] + core[k + 1:]
        st, sub = _solve(model, trial, min(left, 5.0), seed)
        if st == cp_model.INFEASIBLE:
            keep = {x.Index() for x in (sub or trial)}
            core = [x for x in trial if x.Index() in keep]
        else:
            decisive &= st in (cp_model.FEASIBLE, cp_model.OPTIMAL)
            k += 1
    items = [text[x.Index()] for x in core]
    parts = [t for t, e in items if e is None] + _chains([e for _, e in items if e is not None], inst.activity_names)
    sentence = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    verb = "cannot hold" if len(items) == 1 else "cannot all hold"
    return {"constraints": [t for t, _ in items], "irreducible": decisive,
            "text": f"{sentence} {verb} (given the durations and demands)"}


def _chains(edges: list, names) -> list[str]:
    """Precedence edges written as maximal chains ("the precedences
    a->b->c"), for a readable sentence."""
    succ, pred = {}, {}
    for i, j in edges:
        succ.setdefault(i, []).append(j)
        pred.setdefault(j, []).append(i)
    used, out = set(), []

    def inner(v):  # a node a chain passes through
        return len(pred.get(v, [])) == 1 and len(succ.get(v, [])) == 1

    for i, j in edges:
        if (i, j) in used or inner(i):
            continue
        path = [i, j]
        used.add((i, j))
        while inner(path[-1]) and (path[-1], succ[path[-1]][0]) not in used:
            used.add((path[-1], succ[path[-1]][0]))
            path.append(succ[path[-1]][0])
        out.append(path)
    for e in edges:  # cycles of inner nodes cannot occur in a DAG; leftovers stay single
        if e not in used:
            out.append(list(e))
    return [("the precedence " if len(p) == 2 else "the precedences ") + "->".join(names[v] for v in p)
            for p in out]
