"""The pod-packing table of Christensen, Giallorenzo & Mauro (arXiv
2511.08373, §5) from a bench folder holding ``default`` and ``cpsat`` runs.

A *scenario* is an instance on which the default scheduler leaves pods
pending; its *highest affected tier* is the highest priority with pending
pods. Per group (e.g. node count) and over all scenarios:

* improved (tier): ``cpsat`` places more pods of the highest affected tier
  than ``default`` — the paper's "places more higher-priority pods";
* improved (lex): ``cpsat``'s placement is lexicographically better;
* default certified: ``cpsat`` proves an optimum equal to the default's;
* proven: ``cpsat`` proves its own placement optimal;
* improved / not ruled out: improved (lex) over the scenarios whose default
  was not certified optimal (where improvement may be possible);
* median / max ``cpsat`` time (includes the default-scheduler warm start).

An instance whose ``default`` run stopped at its time limit (info
``stopped_at_time_limit``) is no scenario: its placement is partial.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from pathlib import Path

from schedcert.bench import RUNS
from schedcert.errors import InputError
from schedcert.report import write_csv


def _tiers(rec) -> list:
    """[(priority, placed, size)] highest priority first, from the run's
    ``solution.tiers`` ({priority: "placed/total"}); InputError naming the
    run when a record (edited by hand) has them in another shape."""
    sol = rec.get("solution")
    t = sol.get("tiers") if isinstance(sol, dict) else None
    try:
        out = [(int(p), *map(int, v.split("/"))) for p, v in t.items()]
    except (AttributeError, TypeError, ValueError):
        out = None
    if out is None or any(len(x) != 3 for x in out):  # {}: an instance without pods
        raise InputError(f"{RUNS}: run {rec['instance']} / {rec['method']}: solution tiers are {t!r}; expected "
                         "{priority: \"placed/total\"} for every tier, as `schedcert bench` writes them")
    return sorted(out, reverse=True)


def _stopped(rec) -> bool:
    """Did this run's simulation stop at its time limit (a partial placement)?"""
    return bool((rec.get("info") or {}).get("stopped_at_time_limit"))


def scenario_rows(records: list, group: str | None = None) -> list:
    """One row per scenario (see module docstring)."""
    by = defaultdict(dict)
    for r in records:
        if r.get("status") in ("optimal", "feasible"):
            by[r["instance"]][r["method"]] = r
    rows = []
    for inst, d in sorted(by.items()):
        if "default" not in d or "cpsat" not in d or _stopped(d["default"]):
            continue  # a simulation stopped at its time limit is not the default scheduler's placement
        dt, ct = _tiers(d["default"]), dict((p, c) for p, c, _ in _tiers(d["cpsat"]))
        if set(ct) != {p for p, _, _ in dt}:
            raise InputError(f"{RUNS}: instance {inst}: the default and cpsat runs list other priority tiers "
                             f"({sorted(p for p, _, _ in dt)} and {sorted(ct)}); expected runs of one instance")
        affected = [(p, c) for p, c, n in dt if c < n]
        if not affected:
            continue
        top, dc = affected[0]
        m = re.search(group, inst) if group else None
        g = (m.group(1) if m and m.groups() else m.group(0)) if m else "all"
        c = d["cpsat"]
        rows.append({"group": g, "instance": inst, "top_tier": top, "default_placed": dc, "cpsat_placed": ct[top],
                     "improved_tier": ct[top] > dc, "improved_lex": c["objective"] > d["default"]["objective"],
                     "default_certified": c["status"] == "optimal" and c["objective"] == d["default"]["objective"],
                     "proven": c["status"] == "optimal", "time": c["runtime"]})
    return rows


def _pct(k, n):
    return "–" if n == 0 else f"{100 * k / n:.1f} %"


def table(rows: list) -> str:
    """The podpack section of summary.md, over the scenarios where the
    default scheduler leaves pods pending (`rows`: one dict per scenario),
    per group and for all: the share where CP-SAT placed more (top tier,
    lexicographically), where the default is certified optimal, where the
    optimum is proven, and runtimes (s)."""
    groups = sorted({r["group"] for r in rows} - {"all"}, key=lambda g: (len(g), g)) + ["all"]  # "all" once
    out = ["## Pod packing vs the default scheduler (scenarios where the default leaves pods pending)", "",
           "| group | scenarios | improved (tier) | improved (lex) | default certified | proven | "
           "improved / not ruled out | time median / max |",
           "|---|---|---|---|---|---|---|---|"]
    for g in groups:
        rs = rows if g == "all" else [r for r in rows if r["group"] == g]
        if not rs:
            continue
        n = len(rs)
        cert = sum(r["default_certified"] for r in rs)
        imp = sum(r["improved_lex"] for r in rs)
        times = [r["time"] for r in rs]
        out.append(f"| {g} | {n} | {_pct(sum(r['improved_tier'] for r in rs), n)} | {_pct(imp, n)} | "
                   f"{_pct(cert, n)} | {_pct(sum(r['proven'] for r in rs), n)} | {_pct(imp, n - cert)} | "
                   f"{statistics.median(times):.2f} / {max(times):.2f} s |")
    return "\n".join(out) + "\n"


def report(records: list, out_dir: Path, group: str | None = None) -> str:
    """Markdown section for ``summary.md``; writes ``scenarios.csv``.
    Instances whose ``default`` run stopped at its time limit are left out
    and counted below the table."""
    rows = scenario_rows(records, group)
    stopped = sorted({r["instance"] for r in records if r.get("method") == "default" and _stopped(r)})
    note = (f"\nLeft out: {len(stopped)} instance(s) whose default simulation stopped at the time limit "
            f"(a partial placement, not the default scheduler's): {', '.join(stopped[:5])}"
            f"{' ...' if len(stopped) > 5 else ''}\n") if stopped else ""
    if not rows:
        return note
    write_csv(Path(out_dir) / "scenarios.csv", rows)
    return "\n" + table(rows) + note
