"""Readers of DAG-scheduling instances and of platform files.

* schedcert JSON/YAML (:func:`schedcert.instances.dag.to_dict` layout);
* a folder (or either file of it) with ``costs.csv`` (``task,P1,..,Pq``; an
  empty cell, ``-``, ``x`` or ``inf`` = cannot run) and ``edges.csv``
  (``source,target,cost``; the third column may be named
  ``communication_cost``, ``cost`` or ``data``), as in Topcuoglu's example;
* WfCommons WfFormat JSON, schema 1.4 and 1.5 (``runtimeInSeconds``,
  ``parents``/``children``, files with ``sizeInBytes``): the data of edge
  ``i -> j`` is the total size of the files ``i`` writes and ``j`` reads;
* Kasahara's Standard Task Graph (STG): first the task count ``n``, then
  ``n + 2`` records ``id time npred pred...`` (ids 0 and n+1 are the dummy
  entry and exit); no communication costs.

WfFormat and STG describe no processors; a *platform* supplies them. It is a
processor count (``"4"``: identical processors, no communication cost) or a
JSON/YAML file::

    name: hetero4
    time_unit: 0.001        # seconds per schedule time unit (WfFormat runtimes)
    latency: 0.001          # seconds per transfer between distinct processors
    bandwidth: 125000000    # bytes/s between distinct processors, or a q x q matrix
    processors:
      - {name: cpu1, speed: 1.0}
      - {name: acc1, speed: 0.5, task_speed: {bowtie2: 4.0, mProject: null}}

``w_ia = round(runtime_i / speed / time_unit)`` where ``speed`` may be
overridden per task type (the program WfFormat records, or its
``category``, or the task name up to ``_ID``); ``null`` means the processor
cannot run that type.
Transfers take ``round(latency / time_unit) + ceil(bytes / (bandwidth * time_unit))``.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from schedcert.errors import (InputError, entry_errors, integer_expected, magnitude, parse_json, parse_yaml, read_text,
                              reject_unknown_keys, require_list, require_problem)
from schedcert.instances.dag import MAX_TIME, DagInstance, check

_NONE = {"", "-", "x", "inf", "none", "null", "na"}


def read(path, format: str | None = None, platform=None) -> DagInstance:
    """Read a DAG instance.

    Parameters
    ----------
    path : str or Path
        A file, or a folder holding ``costs.csv`` and ``edges.csv``.
    format : {'json', 'csv', 'wfformat', 'stg'}, optional
        Guessed when omitted: folder or ``.csv`` -> csv, ``.stg`` -> stg,
        JSON with a ``workflow`` key -> wfformat, other JSON/YAML -> json.
    platform : str, optional
        Platform file or processor count (required by wfformat and stg).

    Raises
    ------
    InputError
        Missing file, unknown format, malformed content (file and line or
        field named), missing platform.
    """
    p = Path(path)
    if not p.exists():
        raise InputError("no such file or folder", p)
    fmt = format or _guess(p)
    if fmt == "csv":
        return _read_csv(p.parent if p.is_file() else p)
    if fmt == "stg":
        return _read_stg(p, _platform(platform, "STG", p))
    if fmt in ("json", "wfformat"):
        doc = _load(p)
        if fmt == "wfformat" or (isinstance(doc, dict) and "workflow" in doc):
            return _read_wfformat(p, doc, _platform(platform, "WfFormat", p))
        if platform is not None:
            raise InputError("--platform applies to WfFormat and STG inputs only", p)
        with entry_errors("document", "the schedcert DAG document (schedcert/examples/dag-example.json)", p):
            return from_dict(doc, p)
    raise InputError(f"unknown format {fmt!r}; expected json, csv, wfformat or stg", p)


def _guess(p: Path) -> str:
    if p.is_dir() or p.suffix.lower() == ".csv":
        return "csv"
    if p.suffix.lower() == ".stg":
        return "stg"
    if p.suffix.lower() in (".json", ".yaml", ".yml"):
        return "json"
    raise InputError("cannot tell the format from the file ending; pass --format json|csv|wfformat|stg", p)


def _load(p: Path):
    text = read_text(p)
    return parse_yaml(text, p) if p.suffix.lower() in (".yaml", ".yml") else parse_json(text, p)


def _int(v, what, source, line=None, allow_none=False):
    if v is None and allow_none:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) \
            or (isinstance(v, float) and (not math.isfinite(v) or v != int(v))):  # isfinite(10**400) overflows
        raise InputError(integer_expected(what, v), source, line)
    return int(v)


# ---------------------------------------------------------------- project JSON/YAML

def from_dict(d, source=None) -> DagInstance:
    """Instance from the project's JSON/YAML document (see :func:`to_dict`).

    Task costs are a list in processor order or a mapping processor -> cost;
    ``null`` = cannot run. Edges carry ``data`` (or ``cost``)."""
    require_problem(d, "dag", source)
    if not isinstance(d, dict) or not isinstance(d.get("tasks"), list) or not isinstance(d.get("processors"), list):
        raise InputError("expected an object with 'processors' (list of names) and 'tasks' (list)", source)
    reject_unknown_keys(d, ("problem", "format", "version", "name", "processors", "tasks", "edges", "latency",
                            "bandwidth", "meta"), "document", source)
    procs = tuple(str(x) for x in d["processors"])
    tasks, costs = [], []
    for k, t in enumerate(d["tasks"]):
        if not isinstance(t, dict) or "name" not in t or "costs" not in t:
            raise InputError(f"tasks[{k}]: expected {{name, costs}}", source)
        reject_unknown_keys(t, ("name", "costs"), f"tasks[{k}]", source)
        c = t["costs"]
        if isinstance(c, dict):
            bad = [x for x in c if x not in procs]
            if bad:
                raise InputError(f"tasks[{k}].costs: unknown processor(s) {bad}", source)
            c = [c.get(a) for a in procs]
        if not isinstance(c, list):
            raise InputError(f"tasks[{k}].costs: expected a list or a mapping", source)
        tasks.append(str(t["name"]))
        costs.append(tuple(_int(x, f"tasks[{k}].costs", source, allow_none=True) for x in c))
    idx = {t: i for i, t in enumerate(tasks)}
    edges = []
    for k, e in enumerate(require_list(d.get("edges"), "edges", source)):
        if not isinstance(e, dict) or not {"source", "target"} <= set(e) or str(e["source"]) not in idx \
                or str(e["target"]) not in idx:
            raise InputError(f"edges[{k}]: expected {{source, target}} naming tasks", source)
        reject_unknown_keys(e, ("source", "target", "data", "cost"), f"edges[{k}]", source)
        data = e.get("data", e.get("cost", 0))
        edges.append((idx[str(e["source"])], idx[str(e["target"])], _int(data, f"edges[{k}].data", source)))
    bw = d.get("bandwidth")
    if bw is not None:
        bw = tuple(tuple(_int(x, "bandwidth", source) for x in row) for row in bw)
    inst = DagInstance(str(d.get("name") or Path(str(source or "dag")).stem), tuple(tasks), procs, tuple(costs),
                       tuple(edges), _int(d.get("latency", 0), "latency", source), bw, d.get("meta") or {})
    return check(inst, source)


# ---------------------------------------------------------------- CSV pair

def _read_csv(folder: Path) -> DagInstance:
    cpath, epath = folder / "costs.csv", folder / "edges.csv"
    for f in (cpath, epath):
        if not f.is_file():
            raise InputError("expected costs.csv and edges.csv in this folder", f)
    rows = list(csv.reader(io.StringIO(read_text(cpath))))
    if not rows or len(rows[0]) < 2:
        raise InputError("expected a header 'task,P1,...,Pq'", cpath, 1)
    procs = tuple(h.strip() for h in rows[0][1:])
    tasks, costs = [], []
    for ln, row in enumerate(rows[1:], start=2):
        if not any(x.strip() for x in row):
            continue
        if len(row) != len(procs) + 1:
            raise InputError(f"expected {len(procs) + 1} columns (task and one cost per processor), got {len(row)}",
                             cpath, ln)
        tasks.append(row[0].strip())
        cr = []
        for x in row[1:]:
            x = x.strip()
            if x.lower() in _NONE:
                cr.append(None)
                continue
            try:
                val = float(x)
            except ValueError:
                raise InputError(f"expected a cost (integer, or - for 'cannot run'), got {x!r}", cpath, ln) from None
            cr.append(_int(val, f"task {row[0].strip()}", cpath, ln))
        costs.append(tuple(cr))
    idx = {t: i for i, t in enumerate(tasks)}
    edges = []
    er = list(csv.reader(io.StringIO(read_text(epath))))
    if not er or len(er[0]) < 2:
        raise InputError("expected a header 'source,target,cost'", epath, 1)
    for ln, row in enumerate(er[1:], start=2):
        if not any(x.strip() for x in row):
            continue
        if len(row) < 2 or row[0].strip() not in idx or row[1].strip() not in idx:
            raise InputError("expected 'source,target,cost' with tasks named in costs.csv", epath, ln)
        data = row[2].strip() if len(row) > 2 else "0"
        try:
            dv = float(data)
        except ValueError:
            raise InputError(f"expected a communication cost, got {data!r}", epath, ln) from None
        edges.append((idx[row[0].strip()], idx[row[1].strip()], _int(dv, "cost", epath, ln)))
    return check(DagInstance(folder.name, tuple(tasks), procs, tuple(costs), tuple(edges),
                             meta={"source": str(folder)}), folder)


# ---------------------------------------------------------------- platform

class Platform:
    """Processors for WfFormat/STG inputs (see module docstring).

    Attributes: ``names`` (q,), ``speeds`` (q,), ``task_speed`` (q dicts),
    ``time_unit`` (s), ``latency`` (time units), ``bandwidth`` (q x q bytes
    per time unit, or None for no communication cost), ``source``.
    """

    def __init__(self, names, speeds, task_speed, time_unit=1.0, latency=0, bandwidth=None, source=None):
        self.names, self.speeds, self.task_speed = tuple(names), tuple(speeds), tuple(task_speed)
        self.time_unit, self.latency, self.bandwidth, self.source = time_unit, latency, bandwidth, source

    def cost(self, a: int, ttype: str, runtime: float) -> int | None:
        """Time units processor a needs for a task of type `ttype` with
        reference runtime `runtime` (seconds, or STG units); None = cannot."""
        sp = self.task_speed[a].get(ttype, self.speeds[a])
        if sp is None:
            return None
        return max(0, round(runtime / sp / self.time_unit))


def _platform(spec, what: str, graph: Path) -> Platform:
    if spec is None:
        raise InputError(f"{what} input needs --platform (a platform file, or a processor count)", graph)
    s = str(spec)
    if s.isdigit():
        q = int(s)
        if q < 1:
            raise InputError("--platform: processor count must be >= 1")
        return Platform([f"P{a + 1}" for a in range(q)], [1.0] * q, [{}] * q, source=f"{q} identical processors")
    p = Path(s)
    if not p.is_file():
        raise InputError("platform file not found (or give a processor count)", p)
    return read_platform(p)


def _real(v) -> bool:
    """A finite number within a float's range (YAML's .inf and .nan are not,
    nor a 400-digit integer, which made math.isfinite raise OverflowError)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    try:
        return math.isfinite(float(v))
    except OverflowError:
        return False


def read_platform(p: Path) -> Platform:
    """Read a platform file (JSON/YAML, module docstring); InputError on bad fields."""
    d = _load(Path(p))
    if not isinstance(d, dict) or not isinstance(d.get("processors"), list) or not d["processors"]:
        raise InputError("expected a mapping with a non-empty 'processors' list", p)
    reject_unknown_keys(d, ("name", "time_unit", "latency", "bandwidth", "processors"), "platform", p)
    names, speeds, ts = [], [], []
    for k, e in enumerate(d["processors"]):
        if not isinstance(e, dict) or "name" not in e:
            raise InputError(f"processors[{k}]: expected {{name, speed, task_speed}}", p)
        reject_unknown_keys(e, ("name", "speed", "task_speed"), f"processors[{k}]", p)
        sp = e.get("speed", 1.0)
        if not _real(sp) or sp <= 0:
            raise InputError(f"processors[{k}].speed: expected a number > 0, got {sp!r}", p)
        tsp = e.get("task_speed") or {}
        if not isinstance(tsp, dict) or any(v is not None and (not _real(v) or v <= 0)
                                            for v in tsp.values()):
            raise InputError(f"processors[{k}].task_speed: expected type -> speed > 0 (or null)", p)
        names.append(str(e["name"]))
        speeds.append(float(sp))
        ts.append(dict(tsp))
    tu = d.get("time_unit", 1.0)
    if not _real(tu) or tu <= 0:
        raise InputError(f"time_unit: expected seconds > 0, got {tu!r}", p)
    q = len(names)
    bw = d.get("bandwidth")
    if bw is not None:
        if isinstance(bw, (int, float)) and not isinstance(bw, bool):
            bw = [[bw] * q for _ in range(q)]
        if not isinstance(bw, list) or len(bw) != q or any(not isinstance(r, list) or len(r) != q for r in bw):
            raise InputError(f"bandwidth: expected bytes/s (a number or a {q}x{q} matrix)", p)
        if not all(_real(x) and x >= 0 for r in bw for x in r):
            raise InputError("bandwidth: expected finite numbers >= 0 (bytes/s; the diagonal is not used)", p)
        bw = tuple(tuple(max(1, round(float(x) * tu)) for x in r) for r in bw)
    lat = d.get("latency", 0)
    if not _real(lat) or lat < 0:
        raise InputError(f"latency: expected seconds >= 0, got {lat!r}", p)
    return Platform(names, speeds, ts, float(tu), round(lat / tu), bw, source=str(p))


# ---------------------------------------------------------------- WfFormat

def _ttype(task: dict, program: str | None = None) -> str:
    """Task type: the executed program, else WfFormat's category, else the
    task name up to ``_ID``."""
    return str(program or task.get("category") or str(task.get("name", task.get("id", ""))).split("_ID")[0])


_WF_SHAPE = ("a WfCommons WfFormat document (schema 1.5: workflow.specification.tasks with id, parents, children, "
             "inputFiles, outputFiles lists; workflow.execution.tasks with id, runtimeInSeconds)")


def _read_wfformat(p: Path, doc: dict, plat: Platform) -> DagInstance:
    with entry_errors("WfFormat", _WF_SHAPE, p):
        return _parse_wfformat(p, doc, plat)


def _names(t: dict, key: str, p: Path) -> list:
    """The list ``t[key]`` of task `t` (task ids or file names), :func:`~schedcert.errors.require_list`."""
    return require_list(t.get(key), f"WfFormat: task {t.get('id', t.get('name'))}: {key}", p)


def _parse_wfformat(p: Path, doc: dict, plat: Platform) -> DagInstance:
    wf = doc.get("workflow")
    if not isinstance(wf, dict):
        raise InputError("WfFormat: expected a 'workflow' object", p)
    runtime, files_in, files_out, size, program = {}, {}, {}, {}, {}
    if "specification" in wf:  # schema 1.5
        spec, ex = wf["specification"], wf.get("execution", {})
        tasks = spec.get("tasks", [])
        for f in spec.get("files", []):
            size[f.get("id")] = f.get("sizeInBytes", 0)
        for t in ex.get("tasks", []):
            runtime[t.get("id")] = t.get("runtimeInSeconds", t.get("runtime"))
            program[t.get("id")] = (t.get("command") or {}).get("program")
        for t in tasks:
            files_in[t["id"]] = set(_names(t, "inputFiles", p))
            files_out[t["id"]] = set(_names(t, "outputFiles", p))
    else:  # schema 1.4
        tasks = wf.get("tasks", [])
        for t in tasks:
            tid = t.get("id", t.get("name"))
            runtime[tid] = t.get("runtimeInSeconds", t.get("runtime"))
            program[tid] = (t.get("command") or {}).get("program")
            files_in[tid], files_out[tid] = set(), set()
            for f in t.get("files", []):
                key = f.get("id", f.get("name"))
                size[key] = f.get("sizeInBytes", f.get("size", 0))
                (files_in if f.get("link") == "input" else files_out)[tid].add(key)
    if not tasks:
        raise InputError("WfFormat: no tasks", p)
    ids = [t.get("id", t.get("name")) for t in tasks]
    idx = {t: i for i, t in enumerate(ids)}
    costs = []
    for t, tid in zip(tasks, ids):
        rt = runtime.get(tid)
        if not isinstance(rt, (int, float)) or rt < 0:
            raise InputError(f"WfFormat: task {tid}: missing or negative runtimeInSeconds", p)
        costs.append(tuple(plat.cost(a, _ttype(t, program.get(tid)), rt) for a in range(len(plat.names))))
    edges = set()
    for t, tid in zip(tasks, ids):
        for par in _names(t, "parents", p):
            if par not in idx:
                raise InputError(f"WfFormat: task {tid}: unknown parent {par}", p)
            edges.add((idx[par], idx[tid]))
        for ch in _names(t, "children", p):
            if ch not in idx:
                raise InputError(f"WfFormat: task {tid}: unknown child {ch}", p)
            edges.add((idx[tid], idx[ch]))
    el = []
    for i, j in sorted(edges):
        data = sum(int(size.get(f, 0) or 0) for f in files_out[ids[i]] & files_in[ids[j]])
        el.append((i, j, data if plat.bandwidth is not None else 0))
    meta = {"source": str(p), "format": f"wfformat {doc.get('schemaVersion', '?')}", "platform": plat.source,
            "time_unit_s": plat.time_unit, "workflow_name": doc.get("name")}
    return check(DagInstance(p.stem, tuple(map(str, ids)), plat.names, tuple(costs),
                             tuple(el), plat.latency if plat.bandwidth is not None else 0, plat.bandwidth, meta), p)


# ---------------------------------------------------------------- STG

def _read_stg(p: Path, plat: Platform) -> DagInstance:
    tokens = []  # (value, line)
    for ln, line in enumerate(read_text(p).splitlines(), start=1):
        if line.lstrip().startswith("#"):
            break
        tokens += [(tok, ln) for tok in line.split()]
    pos = 0

    def nxt(what):
        nonlocal pos
        if pos >= len(tokens):
            raise InputError(f"STG: file ends early; expected {what}", p, tokens[-1][1] if tokens else 1)
        tok, ln = tokens[pos]
        pos += 1
        try:
            v = int(tok)
        except ValueError:
            raise InputError(f"STG: expected {what} (an integer), got {tok!r}", p, ln) from None
        if v < 0:
            raise InputError(f"STG: expected {what} >= 0, got {v}", p, ln)
        if v > MAX_TIME:  # times past it overflowed the float scaling by the platform
            raise InputError(f"STG: expected {what} <= 2^50, got {magnitude(v)}", p, ln)
        return v, ln

    n, _ = nxt("the number of tasks")
    times, edges = [], []
    for k in range(n + 2):
        tid, ln = nxt(f"task id {k}")
        if tid != k:
            raise InputError(f"STG: expected task id {k}, got {tid}", p, ln)
        t, _ = nxt(f"processing time of task {k}")
        npred, _ = nxt(f"predecessor count of task {k}")
        for _ in range(npred):
            pr, ln = nxt(f"a predecessor of task {k}")
            if pr >= k:
                raise InputError(f"STG: predecessor {pr} of task {k} must have a smaller id", p, ln)
            edges.append((pr, k, 0))
        times.append(t)
    costs = tuple(tuple(plat.cost(a, "", t * plat.time_unit) for a in range(len(plat.names))) for t in times)
    meta = {"source": str(p), "format": "stg", "platform": plat.source}
    return check(DagInstance(p.stem, tuple(f"t{k}" for k in range(n + 2)), plat.names, costs, tuple(edges),
                             meta=meta), p)
