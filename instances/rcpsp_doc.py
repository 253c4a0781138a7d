"""RCPSP documents: the project's readable JSON/YAML instance format, the
overlay that adds R-ConstraintBench constraints to a PSPLIB instance, and
schedules written by anyone (JSON or CSV).

Instance document (``.json``, ``.yaml``, ``.yml``)::

    name: dc-migration
    horizon: 120                      # optional: everything finished by then
    resources:
      - name: crew
        capacity: 3                   # default capacity per period
        downtime: [[30, 45]]          # capacity 0 on [30, 45) (half-open)
        calendar:                     # any other capacity change
          - {start: 60, end: 80, capacity: 2}
    activities:
      - name: unrack-db
        duration: 4                   # time units
        demands: {crew: 2}
        successors: [ship-db]
        release: 10                   # optional: S_j >= 10
        deadline: 40                  # optional: S_j + p_j <= 40
    precedences:                      # optional: more edges, or lags on them
      - {from: unrack-db, to: ship-db, min_lag: 2, max_lag: 20}
    disjunctive:                      # pairs that may not overlap
      - [unrack-db, unrack-web]

Overlay document: the same extension keys plus ``base: FILE`` (a PSPLIB
``.sm``/``.rcp`` or another instance document, relative to the overlay);
``activities`` and ``resources`` entries then only name an existing
activity (PSPLIB job number) or resource (``R1``..) and add ``release``,
``deadline``, ``downtime``, ``calendar``.

YAML errors name the line; JSON errors name the activity or resource. A key
not shown above is refused, with the nearest known one.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from schedcert.errors import (InputError, integer_expected, parse_json, parse_yaml, read_text, reject_duplicate_keys,
                              reject_unknown_keys, require_file, require_list, require_problem, require_times)
from schedcert.result import solution_of

_EXT_KEYS = ("horizon", "precedences", "disjunctive")
# The keys each mapping may hold; any other is refused (a misspelt optional key would be dropped silently).
_DOC_KEYS = ("problem", "name", *_EXT_KEYS, "resources", "activities", "metadata")
_OVERLAY_KEYS = ("base", *_DOC_KEYS)
_RESOURCE_KEYS = ("name", "capacity", "downtime", "calendar")
_ACTIVITY_KEYS = ("name", "duration", "demands", "successors", "release", "deadline")
_PRECEDENCE_KEYS = ("from", "to", "min_lag", "max_lag")
_SEGMENT_KEYS = ("start", "end", "capacity")
_OVERLAY_ACTIVITY_KEYS = ("name", "release", "deadline")  # an overlay adds windows and downtime only
_OVERLAY_RESOURCE_KEYS = ("name", "downtime", "calendar")


# --------------------------------------------------------------------------
# Loading with line numbers
# --------------------------------------------------------------------------

class _Map(dict):
    """A mapping that remembers the line it started on (YAML only)."""

    line = None


class _Seq(list):
    line = None


def _yaml_loader():
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def mapping(loader, node):
        reject_duplicate_keys(loader, node)
        loader.flatten_mapping(node)
        m = _Map(loader.construct_pairs(node, deep=True))
        m.line = node.start_mark.line + 1
        return m

    def sequence(loader, node):
        s = _Seq(loader.construct_sequence(node, deep=True))
        s.line = node.start_mark.line + 1
        return s

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, sequence)
    return Loader


def load_document(path: Path) -> dict:
    """The JSON or YAML document at `path` (by its ending); InputError with
    the line of a syntax error or when it is not a mapping."""
    text = read_text(path)
    if path.suffix.lower() == ".json":
        data = parse_json(text, path)
    else:
        data = parse_yaml(text, path, _yaml_loader())
    if not isinstance(data, dict):
        raise InputError("expected a mapping with 'resources' and 'activities' (or an overlay with 'base')",
                         path, 1)
    return data


def _line(obj):
    return getattr(obj, "line", None)


def _list(value, what, path, obj) -> list:
    """:func:`~schedcert.errors.require_list` with the line of `value` (or of the entry `obj` holding it)."""
    return require_list(value, what, path, _line(value) or _line(obj))


def _int(value, what, path, obj, lo=None):
    if value is None:
        raise InputError(f"{what}: missing; expected an integer", path, _line(obj))
    if isinstance(value, float) and value.is_integer():  # 2.0, as tools writing JSON numbers do
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(integer_expected(what, value), path, _line(obj))
    if lo is not None and value < lo:
        raise InputError(f"{what}: expected an integer >= {lo}, found {value}", path, _line(obj))
    return value


# --------------------------------------------------------------------------
# Instance document <-> RcpspInstance
# --------------------------------------------------------------------------

def from_dict(data: dict, path=None):
    """Build an instance from a document (see the module docstring); an
    overlay (``base:``) is resolved relative to `path`.

    Raises
    ------
    InputError
        Naming the file, the line (YAML) and the activity/resource at fault.
    """
    from schedcert.instances.rcpsp import RcpspInstance, check_semantics

    require_problem(data, "rcpsp", path)
    if "base" in data:
        return _overlay(data, path)
    res, acts = data.get("resources"), data.get("activities")
    if not isinstance(res, list) or not isinstance(acts, list):
        raise InputError("expected 'resources' (a list of {name, capacity}) and 'activities' "
                         "(a list of {name, duration, demands, successors})", path, _line(data))
    reject_unknown_keys(data, _DOC_KEYS, "document", path, _line(data))
    rnames, caps = [], []
    for r in res:
        if not isinstance(r, dict) or "name" not in r:
            raise InputError("resource: expected a mapping with 'name' and 'capacity'", path, _line(r) or _line(res))
        reject_unknown_keys(r, _RESOURCE_KEYS, f"resource {r['name']}", path, _line(r))
        if str(r["name"]) in rnames:  # a demand on it counted against both capacities
            raise InputError(f"resource name {r['name']!r} is used twice; names must be unique", path, _line(r))
        rnames.append(str(r["name"]))
        caps.append(_int(r.get("capacity"), f"resource {r['name']}: capacity", path, r, 0))
    anames = []
    for a in acts:
        if not isinstance(a, dict) or "name" not in a:
            raise InputError("activity: expected a mapping with 'name', 'duration', 'demands', 'successors'",
                             path, _line(a) or _line(acts))
        reject_unknown_keys(a, _ACTIVITY_KEYS, f"activity {a['name']}", path, _line(a))
        anames.append(str(a["name"]))
    dup = next((n for n in anames if anames.count(n) > 1), None)
    if dup is not None:
        raise InputError(f"activity name {dup!r} is used twice; names must be unique", path,
                         _line(acts[len(anames) - 1 - anames[::-1].index(dup)]))
    index = {n: j for j, n in enumerate(anames)}
    durations, demands, successors, release, deadline = [], [], [], [], []
    for a in acts:
        nm = a["name"]
        durations.append(_int(a.get("duration"), f"activity {nm}: duration", path, a, 0))
        dem = a.get("demands") or {}
        if not isinstance(dem, dict):
            raise InputError(f"activity {nm}: demands: expected a mapping resource -> units", path, _line(a))
        unknown = [k for k in dem if str(k) not in rnames]
        if unknown:
            raise InputError(f"activity {nm}: unknown resource {unknown[0]!r}; expected one of {rnames}",
                             path, _line(a))
        demands.append(tuple(_int(dem.get(r, 0), f"activity {nm}: demand for {r}", path, a, 0) for r in rnames))
        succ = []
        for s in _list(a.get("successors"), f"activity {nm}: successors", path, a):
            if str(s) not in index:
                raise InputError(f"activity {nm}: unknown successor {s!r}", path, _line(a))
            succ.append(index[str(s)])
        successors.append(succ)
        release.append(_int(a.get("release", 0), f"activity {nm}: release", path, a, 0))
        d = a.get("deadline")
        deadline.append(None if d is None else _int(d, f"activity {nm}: deadline", path, a, 0))
    calendars = [_calendar(r, path) for r in res]
    lags, disjunctive, horizon = _extensions(data, index, successors, path)
    inst = RcpspInstance(
        name=str(data.get("name", Path(path).stem if path else "rcpsp")),
        durations=tuple(durations), demands=tuple(demands), capacities=tuple(caps),
        successors=tuple(tuple(s) for s in successors), activity_names=tuple(anames),
        resource_names=tuple(rnames), metadata=_metadata(data, path),
        release=tuple(release), deadline=tuple(deadline), calendars=tuple(calendars),
        disjunctive=tuple(disjunctive), lags=tuple(lags), horizon=horizon,
    )
    check_semantics(inst, path, None)
    return inst


def _metadata(data: dict, path) -> dict:
    meta = data.get("metadata") or {}
    if not isinstance(meta, dict):
        raise InputError(f"metadata: expected a mapping, found {meta!r}", path, _line(data))
    return dict(meta)


def _calendar(r: dict, path) -> tuple:
    """Sorted ``(start, end, capacity)`` segments from ``downtime`` and
    ``calendar``; InputError on overlaps or bad numbers."""
    name = r["name"]
    segs = []
    for w in _list(r.get("downtime"), f"resource {name}: downtime", path, r):
        if not isinstance(w, (list, tuple)) or len(w) != 2:
            raise InputError(f"resource {name}: downtime: expected [start, end] pairs, found {w!r}", path,
                             _line(w) or _line(r))
        segs.append((_int(w[0], f"resource {name}: downtime start", path, r, 0),
                     _int(w[1], f"resource {name}: downtime end", path, r, 0), 0))
    for w in _list(r.get("calendar"), f"resource {name}: calendar", path, r):
        if not isinstance(w, dict) or not {"start", "end", "capacity"} <= set(w):
            raise InputError(f"resource {name}: calendar: expected {{start, end, capacity}}, found {w!r}", path,
                             _line(w) or _line(r))
        reject_unknown_keys(w, _SEGMENT_KEYS, f"resource {name}: calendar", path, _line(w) or _line(r))
        segs.append((_int(w["start"], f"resource {name}: calendar start", path, w, 0),
                     _int(w["end"], f"resource {name}: calendar end", path, w, 0),
                     _int(w["capacity"], f"resource {name}: calendar capacity", path, w, 0)))
    segs.sort()
    for a, b, _ in segs:
        if b <= a:
            raise InputError(f"resource {name}: calendar segment [{a}, {b}) is empty; expected start < end",
                             path, _line(r))
    for (a1, b1, _), (a2, b2, _) in zip(segs, segs[1:]):
        if a2 < b1:
            raise InputError(f"resource {name}: calendar segments [{a1}, {b1}) and [{a2}, {b2}) overlap",
                             path, _line(r))
    return tuple(segs)


def _extensions(data: dict, index: dict, successors: list, path):
    """(lags, disjunctive pairs, horizon) from a document; `successors` is
    extended in place by ``precedences`` entries that are new edges."""
    lags = []
    for e in _list(data.get("precedences"), "precedences", path, data):
        if not isinstance(e, dict) or "from" not in e or "to" not in e:
            raise InputError(f"precedences: expected {{from, to, min_lag, max_lag}}, found {e!r}", path,
                             _line(e) or _line(data))
        reject_unknown_keys(e, _PRECEDENCE_KEYS, f"precedence {e['from']}->{e['to']}", path, _line(e))
        i, j = (index.get(str(e[k])) for k in ("from", "to"))
        if i is None or j is None:
            bad = e["from"] if i is None else e["to"]
            raise InputError(f"precedences: unknown activity {bad!r}", path, _line(e))
        lo = _int(e.get("min_lag", 0), f"precedence {e['from']}->{e['to']}: min_lag", path, e)
        hi = e.get("max_lag")
        hi = None if hi is None else _int(hi, f"precedence {e['from']}->{e['to']}: max_lag", path, e)
        if hi is not None and hi < lo:
            raise InputError(f"precedence {e['from']}->{e['to']}: max_lag {hi} < min_lag {lo}", path, _line(e))
        if j not in successors[i]:
            successors[i].append(j)
        if lo or hi is not None:
            lags.append((i, j, lo, hi))
    pairs = []
    for pr in _list(data.get("disjunctive"), "disjunctive", path, data):
        if not isinstance(pr, (list, tuple)) or len(pr) != 2:
            raise InputError(f"disjunctive: expected pairs [activity, activity], found {pr!r}", path,
                             _line(pr) or _line(data))
        i, j = (index.get(str(x)) for x in pr)
        if i is None or j is None:
            raise InputError(f"disjunctive: unknown activity {pr[0] if i is None else pr[1]!r}", path,
                             _line(pr) or _line(data))
        if i == j:
            raise InputError(f"disjunctive: pair of activity {pr[0]!r} with itself", path, _line(pr))
        pairs.append((i, j))
    h = data.get("horizon")
    horizon = None if h is None else _int(h, "horizon", path, data, 0)
    return lags, pairs, horizon


def _overlay(data: dict, path):
    """Resolve ``base:`` and add the overlay's constraints to it."""
    import dataclasses

    from schedcert.instances.rcpsp import check_semantics, read

    reject_unknown_keys(data, _OVERLAY_KEYS, "overlay", path, _line(data))
    base_path = Path(str(data["base"]))
    if not base_path.is_absolute() and path is not None:
        base_path = Path(path).parent / base_path
    if not base_path.is_file():
        raise InputError(f"overlay base {data['base']!r} not found (looked at {base_path})", path, _line(data))
    base = read(base_path)
    index = {n: j for j, n in enumerate(base.activity_names)}
    rindex = {n: k for k, n in enumerate(base.resource_names)}
    release, deadline = list(base.release), list(base.deadline)
    listed = {}
    for a in data.get("activities") or []:
        nm = str(a.get("name")) if isinstance(a, dict) else None
        if nm not in index:
            raise InputError(f"overlay: unknown activity {nm!r}; expected one of the base's "
                             f"({base.activity_names[0]}..{base.activity_names[-1]})", path, _line(a))
        if nm in listed:  # the second window replaced the first
            first = f" (first on line {listed[nm]})" if listed[nm] else ""
            raise InputError(f"overlay: activity {nm} is listed twice{first}; expected one entry per activity",
                             path, _line(a))
        listed[nm] = _line(a)
        reject_unknown_keys(a, _OVERLAY_ACTIVITY_KEYS, f"overlay: activity {nm}", path, _line(a))
        j = index[nm]
        release[j] = _int(a.get("release", release[j]), f"activity {nm}: release", path, a, 0)
        d = a.get("deadline", deadline[j])
        deadline[j] = None if d is None else _int(d, f"activity {nm}: deadline", path, a, 0)
    calendars = list(base.calendars)
    for r in data.get("resources") or []:
        nm = str(r.get("name")) if isinstance(r, dict) else None
        if nm not in rindex:
            raise InputError(f"overlay: unknown resource {nm!r}; expected one of {list(base.resource_names)}",
                             path, _line(r))
        reject_unknown_keys(r, _OVERLAY_RESOURCE_KEYS, f"overlay: resource {nm}", path, _line(r))
        k = rindex[nm]
        merged = _Map(r)  # the base's segments plus the overlay's, checked together
        merged.line = _line(r)
        merged["calendar"] = list(r.get("calendar") or []) + [
            {"start": a, "end": b, "capacity": c} for a, b, c in calendars[k]]
        calendars[k] = _calendar(merged, path)
    successors = [list(s) for s in base.successors]
    lags, pairs, horizon = _extensions(data, index, successors, path)
    inst = dataclasses.replace(
        base, name=str(data.get("name", Path(path).stem if path else base.name)),
        successors=tuple(tuple(s) for s in successors), release=tuple(release), deadline=tuple(deadline),
        calendars=tuple(calendars), disjunctive=base.disjunctive + tuple(pairs), lags=base.lags + tuple(lags),
        horizon=horizon if horizon is not None else base.horizon,
        metadata={**base.metadata, **_metadata(data, path), "overlay": str(path)},
    )
    check_semantics(inst, path, None)
    return inst


def to_dict(inst) -> dict:
    """The project's document for an instance (named activities; the
    extension keys only where the instance has them)."""
    names, rn = inst.activity_names, inst.resource_names
    resources = []
    for k, (n, c) in enumerate(zip(rn, inst.capacities)):
        r = {"name": n, "capacity": c}
        down = [[a, b] for a, b, cap in inst.calendars[k] if cap == 0]
        cal = [{"start": a, "end": b, "capacity": cap} for a, b, cap in inst.calendars[k] if cap != 0]
        if down:
            r["downtime"] = down
        if cal:
            r["calendar"] = cal
        resources.append(r)
    acts = []
    for j in range(inst.n):
        a = {"name": names[j], "duration": inst.durations[j], "demands": dict(zip(rn, inst.demands[j])),
             "successors": [names[s] for s in inst.successors[j]]}
        if inst.release[j]:
            a["release"] = inst.release[j]
        if inst.deadline[j] is not None:
            a["deadline"] = inst.deadline[j]
        acts.append(a)
    doc = {"problem": "rcpsp", "name": inst.name}
    if inst.horizon is not None:
        doc["horizon"] = inst.horizon
    doc["resources"] = resources
    doc["activities"] = acts
    if inst.lags:
        doc["precedences"] = [{"from": names[i], "to": names[j], "min_lag": lo,
                               **({} if hi is None else {"max_lag": hi})} for i, j, lo, hi in inst.lags]
    if inst.disjunctive:
        doc["disjunctive"] = [[names[i], names[j]] for i, j in inst.disjunctive]
    doc["metadata"] = inst.metadata
    return doc


def write(inst, path) -> None:
    """Write `inst` as a document: YAML if `path` ends in .yaml/.yml, else
    JSON."""
    path = Path(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        path.write_text(yaml.safe_dump(to_dict(inst), sort_keys=False, default_flow_style=None))
    else:
        path.write_text(json.dumps(to_dict(inst), indent=1) + "\n")


# --------------------------------------------------------------------------
# Schedules written by anyone
# --------------------------------------------------------------------------

def read_schedule(inst, path):
    """A schedule from a JSON document (``{"starts": {activity: start}}``, a
    list of starts, or a Result from ``solve --out``) or a CSV file with
    columns ``activity,start`` (header optional; columns found by name in
    any order; separated by commas, semicolons or tabs; a ``finish`` or
    ``end`` column is kept for the validator to check against start +
    duration).

    Repeated and unknown activities are kept on the solution for the
    validator to report; missing ones get start None.

    Raises
    ------
    InputError
        Unreadable file, no 'starts', a CSV row that is not ``name,integer``.
    """
    from schedcert.instances.rcpsp import RcpspSolution

    path = require_file(path)
    finishes = []
    if path.suffix.lower() == ".csv":
        entries, finishes = _csv_entries(path)
    else:
        data = parse_json(read_text(path, "solution file"), path, object_pairs_hook=lambda pairs: _Pairs(pairs))
        data = solution_of(data, path)  # a Result JSON from solve --out, or bare
        if not isinstance(data, _Pairs) or "starts" not in data:
            raise InputError("expected a JSON object with 'starts' (activity name -> start time)", path)
        st = data["starts"]
        if isinstance(st, list):
            if len(st) == inst.n:
                require_times(st, inst.activity_names, "activity", path)
                return RcpspSolution(tuple(st))
            entries = [(inst.activity_names[j] if j < inst.n else f"#{j + 1}", s) for j, s in enumerate(st)]
        elif isinstance(st, _Pairs):
            entries = st.pairs
        else:
            raise InputError("'starts' must be a list or an object", path)
    index = {n: j for j, n in enumerate(inst.activity_names)}
    starts, dups, unknown = [None] * inst.n, [], []
    for name, s in entries:
        j = index.get(str(name))
        if j is None:
            unknown.append((str(name), s))
        elif starts[j] is not None:
            dups.append((j, s))
        else:
            starts[j] = s
    require_times(starts, inst.activity_names, "activity", path)
    stated = {}  # the first finish stated per activity, as the first start counts
    for name, f in finishes:
        if str(name) in index:
            stated.setdefault(index[str(name)], f)
    return RcpspSolution(tuple(starts), tuple(dups), tuple(unknown), tuple(sorted(stated.items())))


class _Pairs(dict):
    """A JSON object that also keeps its key/value pairs in order, repeated
    keys included."""

    def __init__(self, pairs):
        super().__init__(pairs)
        self.pairs = list(pairs)


#: column names of a schedule CSV's finish times (checked against start + duration)
FINISH_COLUMNS = ("finish", "end")


def _csv_dialect(text: str) -> str:
    """The delimiter of a schedule CSV: ``,``, ``;`` (spreadsheets in
    locales with a decimal comma) or a tab, found by :class:`csv.Sniffer`
    on its first lines; ``,`` when it cannot tell (one column)."""
    sample = "\n".join(ln for ln in text.splitlines()[:20] if ln.strip() and not ln.lstrip().startswith("#"))
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def _csv_entries(path: Path) -> tuple[list, list]:
    """``(name, start)`` rows of a schedule CSV and ``(name, finish)`` for
    the rows of a ``finish`` (or ``end``) column, when the header has one."""
    text = read_text(path, "solution file")
    sep = _csv_dialect(text)
    shape = "activity,start".replace(",", sep if sep != "\t" else "<tab>")
    rows = list(csv.reader(io.StringIO(text), delimiter=sep))
    out, finishes, cols, fin, first = [], [], (0, 1), None, True
    for ln, row in enumerate(rows, 1):
        cells = [c.strip() for c in row]
        if not cells or not any(cells) or cells[0].startswith("#"):
            continue
        names = [c.lower() for c in cells]  # any case, as spreadsheets write
        if first and ("activity" in names or "start" in names):  # a header: its columns, in any order
            if not ("activity" in names and "start" in names):
                raise InputError(f"header {sep.join(cells)}: expected columns 'activity' and 'start' (any order; "
                                 f"optional {' or '.join(FINISH_COLUMNS)}, checked to be start + duration; other "
                                 "columns ignored)", path, ln)
            cols = names.index("activity"), names.index("start")
            fin = next((names.index(c) for c in FINISH_COLUMNS if c in names), None)
            first = False
            continue
        first = False
        if len(cells) <= max(cols):
            raise InputError(f"expected '{shape}', found {row!r}", path, ln)
        name, start = cells[cols[0]], cells[cols[1]]
        try:
            out.append((name, int(start)))
        except ValueError:
            raise InputError(f"activity {name}: start {start!r} is not an integer", path, ln) from None
        if fin is not None and fin < len(cells) and cells[fin]:
            try:
                finishes.append((name, int(cells[fin])))
            except ValueError:
                raise InputError(f"activity {name}: finish {cells[fin]!r} is not an integer", path, ln) from None
    return out, finishes
