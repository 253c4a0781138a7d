"""Exact-method times per (RDD, TF) class of the SMTT paper's test sets
(arXiv 2510.24013; files ``smtt_n<N>_<k>.txt``).

The paper's sets list their instances class by class, 20 classes (RDD in
0.2..1.0 outer, TF in 0.2..0.8 inner): instance k (1-based) of a set of
``size`` instances is in class ``c = (k-1) // (size/20)`` with
RDD = ``(c // 4 + 1) * 0.2`` and TF = ``(c % 4 + 1) * 0.2``. This is the
order of the shared ``optima_n20.csv`` / ``optima_n100.csv`` (checked), and
the due dates of n = 200 and 500 fall in the ranges it implies (checked
when this report was written). OR-Library does not state its class order,
so its instances are not classed here.

Per problem size and class, for each exact method: proven / runs, median
and max runtime. Written to ``classes.csv`` and appended to the summary.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from pathlib import Path

from schedcert.report import write_csv

PAPER = re.compile(r"smtt_n(?P<n>\d+)_(?P<k>\d+)")
PAPER_SIZES = {20: 800, 100: 200, 200: 200, 500: 200}


def instance_class(name: str):
    """(n, RDD, TF) of a paper instance name, else None."""
    m = PAPER.search(name)
    if m and int(m["n"]) in PAPER_SIZES:
        per = PAPER_SIZES[int(m["n"])] // 20
        c = (int(m["k"]) - 1) // per
        return int(m["n"]), round((c // 4 + 1) * 0.2, 1), round((c % 4 + 1) * 0.2, 1)
    return None


def class_rows(records: list, exact: set) -> list[dict]:
    """Runs, proofs and median / max runtime (s) of the exact methods
    `exact` per (n, RDD, TF) class of the paper's instances (names
    ``smtt_n{n}_{k}``; the class from k), one dict per method and class,
    from bench run `records`."""
    by = defaultdict(list)
    for r in records:
        cls = instance_class(r["instance"])
        if cls is not None and r["method"] in exact:
            by[(r["method"], *cls)].append(r)
    rows = []
    for (method, n, rdd, tf), recs in sorted(by.items()):
        t = [r["runtime"] for r in recs]
        rows.append({"method": method, "n": n, "rdd": rdd, "tf": tf, "runs": len(recs),
                     "proven": sum(r["status"] == "optimal" for r in recs),
                     "median_s": round(statistics.median(t), 3), "max_s": round(max(t), 3)})
    return rows


def report(records: list, out_dir: Path, group: str | None = None) -> str:
    """The per-class section of ``schedcert report`` (empty when no exact
    method ran on paper or OR-Library instances)."""
    from schedcert.registry import get_problem

    prob = get_problem("smtt")
    exact = {m.name for m in prob.methods.values() if m.kind == "exact"}
    rows = class_rows(records, exact)
    if not rows:
        return ""
    write_csv(Path(out_dir) / "classes.csv", rows)
    tfs = sorted({r["tf"] for r in rows})
    out = ["\n## Exact methods per (RDD, TF) class\n",
           "proven/runs, median s (max s); rows RDD, columns TF. Also in `classes.csv`.\n"]
    for method, n in sorted({(r["method"], r["n"]) for r in rows}):
        cell = {(r["rdd"], r["tf"]): r for r in rows if r["method"] == method and r["n"] == n}
        out.append(f"\n**{method}, n = {n}**\n")
        out.append("| RDD \\ TF | " + " | ".join(f"{t:.1f}" for t in tfs) + " |")
        out.append("|" + "---|" * (len(tfs) + 1))
        for rdd in sorted({k[0] for k in cell}):
            cells = []
            for tf in tfs:
                r = cell.get((rdd, tf))
                cells.append("–" if r is None else f"{r['proven']}/{r['runs']}, {r['median_s']:.2f} ({r['max_s']:.2f})")
            out.append(f"| {rdd:.1f} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"
