"""Reference values (known optima / best known bounds) for benchmark sets.

Accepted file formats
---------------------
* CSV with a header holding ``instance`` and ``lower_bound``/``upper_bound``
  (optionally ``optimal`` yes/no), as ``shared/instances/psplib/bounds/*.csv``;
* CSV with ``instance`` and one column whose name starts with ``opt`` or is
  ``value`` (a known optimum: lower = upper bound);
* OR-Library optima, one value per line (``wtopt40.txt``): line k is the
  optimum of instance k of the stream named without ``opt``, i.e.
  ``wt40.txt#k``.

An instance file is matched by its name (``j301_1.sm``) or, when no row
has that, by its name without the ending (``j301_1``):
:func:`reference_for`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from schedcert.errors import InputError, read_text, require_file


@dataclass(frozen=True)
class Reference:
    """Best known bounds of one instance; ``optimal`` when they meet."""

    lower_bound: float | None
    upper_bound: float | None

    @property
    def optimal(self) -> bool:
        return self.lower_bound is not None and self.lower_bound == self.upper_bound

    def to_dict(self) -> dict:
        return {"lower_bound": self.lower_bound, "upper_bound": self.upper_bound, "optimal": self.optimal}


def reference_for(refs: dict[str, Reference], path: Path) -> Reference | None:
    """The row of `refs` for the instance file `path`: by its name, else by
    its name without the ending (a CSV written by another tool names
    ``dag-v30-s0`` for ``dag-v30-s0.json``); None without either. A stream
    member (``wt40.txt#7``) matches by its full name only."""
    if path.name in refs:
        return refs[path.name]
    return refs.get(path.stem) if "#" not in path.name and path.suffix else None


def _num(text: str, path, line: int, col: str) -> float | None:
    text = (text or "").strip()
    if text in ("", "-", "NA", "nan"):
        return None
    try:
        v = float(text)
    except ValueError:
        raise InputError(f"column {col!r}: expected a number, found {text!r}", path, line) from None
    return int(v) if v.is_integer() else v


def read_reference(path: str | Path) -> dict[str, Reference]:
    """Map instance name -> :class:`Reference`. Raises InputError naming the
    file and line of anything malformed: a word for a number, an instance
    listed twice, a lower bound above the upper bound."""
    path = require_file(path, "reference file")
    rows = list(csv.reader(io.StringIO(read_text(path, "reference file"))))
    first = next((r for r in rows if "".join(r).strip()), None)
    if first is not None and len(first) == 1 and first[0].strip().lstrip("-").isdigit():
        return _one_per_line(path, rows)
    if not rows or "instance" not in [c.strip() for c in rows[0]]:
        raise InputError("expected a CSV header with an 'instance' column", path, 1)
    header = [c.strip() for c in rows[0]]
    ii = header.index("instance")
    lo = header.index("lower_bound") if "lower_bound" in header else None
    hi = header.index("upper_bound") if "upper_bound" in header else None
    single = None
    if lo is None and hi is None:
        cands = [k for k, c in enumerate(header) if c.startswith("opt") or c == "value"]
        if not cands:
            raise InputError("expected columns lower_bound/upper_bound, or a column named value or opt*", path, 1)
        single = cands[0]
    out: dict[str, Reference] = {}
    seen: dict[str, int] = {}
    for ln, row in enumerate(rows[1:], start=2):
        if not row or not "".join(row).strip():
            continue
        if len(row) != len(header):
            raise InputError(f"expected {len(header)} columns, found {len(row)}", path, ln)
        name = row[ii].strip()
        if not name:
            raise InputError("column 'instance': expected an instance name, found nothing", path, ln)
        if name in seen:  # two rows for one instance: which holds?
            raise InputError(f"instance {name} is listed twice (also line {seen[name]}); expected one row each",
                             path, ln)
        seen[name] = ln
        if single is not None:
            v = _num(row[single], path, ln, header[single])
            out[name] = Reference(v, v)
        else:
            ref = Reference(_num(row[lo], path, ln, "lower_bound") if lo is not None else None,
                            _num(row[hi], path, ln, "upper_bound") if hi is not None else None)
            if None not in (ref.lower_bound, ref.upper_bound) and ref.lower_bound > ref.upper_bound:
                raise InputError(f"instance {name}: lower_bound {ref.lower_bound} is above upper_bound "
                                 f"{ref.upper_bound}; expected lower_bound <= upper_bound", path, ln)
            out[name] = ref
    return out


def _one_per_line(path: Path, rows) -> dict[str, Reference]:
    stream = path.name.replace("opt", "", 1)
    out, k = {}, 0
    for ln, row in enumerate(rows, start=1):
        if not "".join(row).strip():
            continue
        if len(row) != 1:
            raise InputError("expected one value per line", path, ln)
        k += 1
        v = _num(row[0], path, ln, "value")
        out[f"{stream}#{k}"] = Reference(v, v)
    return out
