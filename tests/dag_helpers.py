"""Test helpers for the DAG problem: tiny instances and a brute-force optimum
written from the problem definition (independent of schedcert's models)."""

from __future__ import annotations

import itertools

from schedcert.instances.dag import DagInstance


def tiny(costs, edges, bandwidth=None, latency=0, name="tiny") -> DagInstance:
    q = len(costs[0])
    return DagInstance(name, tuple(f"t{i}" for i in range(len(costs))), tuple(f"P{a}" for a in range(q)),
                       tuple(tuple(r) for r in costs), tuple(edges), latency, bandwidth)


def _linear_extensions(n, preds):
    def rec(done, order):
        if len(order) == n:
            yield tuple(order)
            return
        for i in range(n):
            if i not in done and all(p in done for p in preds[i]):
                done.add(i)
                order.append(i)
                yield from rec(done, order)
                order.pop()
                done.discard(i)
    yield from rec(set(), [])


def brute_force_makespan(inst: DagInstance) -> int:
    """Minimum makespan over every processor assignment and every task order,
    each task started as early as its processor and its inputs allow (an
    optimal schedule is of this form for the order of its start times)."""
    preds = [[i for i, j, _ in inst.edges if j == k] for k in range(inst.n)]
    best = None
    orders = list(_linear_extensions(inst.n, preds))
    for assign in itertools.product(*[[a for a in range(inst.q) if inst.costs[i][a] is not None]
                                      for i in range(inst.n)]):
        for order in orders:
            free, fin = [0] * inst.q, {}
            for k in order:
                a = assign[k]
                ready = max([fin[i] + (0 if assign[i] == a else
                                       inst.latency + -(-d // (1 if inst.bandwidth is None else inst.bandwidth[assign[i]][a])))
                             for i, j, d in inst.edges if j == k] + [0])
                s = max(ready, free[a])
                fin[k] = s + inst.costs[k][a]
                free[a] = fin[k]
            ms = max(fin.values())
            best = ms if best is None else min(best, ms)
    return best


def peft_paper_graph() -> DagInstance:
    """The PEFT paper's own sample graph (Arabnejad & Barbosa 2014, Fig. 1):
    computation costs of T1..T10 on P1..P3 and the edges' communication
    costs (zero on one processor). Its optimistic cost table and the PEFT
    schedule of makespan 122 are the paper's; two public implementations of
    PEFT reproduce both."""
    costs = [[22, 21, 36], [22, 18, 18], [32, 27, 43], [7, 10, 4], [29, 27, 35], [26, 17, 24], [14, 25, 30],
             [29, 23, 36], [15, 21, 8], [13, 16, 33]]
    edges = [(0, 1, 17), (0, 2, 31), (0, 3, 29), (0, 4, 13), (0, 5, 7), (1, 7, 3), (1, 8, 30), (2, 6, 16),
             (3, 7, 11), (3, 8, 7), (4, 8, 57), (5, 7, 5), (6, 9, 9), (7, 9, 42), (8, 9, 7)]
    return tiny(costs, edges, name="peft2014")
