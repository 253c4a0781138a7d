"""Property: whatever a user writes into an instance or solution document,
the readers and validators answer with a result or an InputError — never
another exception (which the CLI would show as a traceback).

Documents are the bundled examples with one or two values replaced by a
value of another shape (a word for a number, a mapping for a list, null, a
huge number ...) or a key removed. Found this way and fixed: a dict as a
node name (unhashable), a string for a list read letter by letter, a word
for a priority, 'pods: 5'.
"""

from __future__ import annotations

import copy
import json

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from schedcert.errors import InputError
from schedcert.registry import example_path, get_problem, read_instance, run_method
from schedcert.result import Options, solution_of

ODD = [None, "x", -1, 0, 1.5, [], {}, [1], {"a": 1}, True, "1Gi", [[1, 2]], "-5", 10 ** 12]
PROBLEMS = ["rcpsp", "dag", "smtt", "podpack"]


def _paths(o, pre=()):
    if pre:
        yield pre
    if isinstance(o, dict):
        for k, v in o.items():
            yield from _paths(v, pre + (k,))
    elif isinstance(o, list):
        for i, v in enumerate(o[:6]):
            yield from _paths(v, pre + (i,))


def _document(key):
    path = example_path(get_problem(key))
    if key == "smtt":  # the example is the lines format; its JSON form
        rows = [list(map(int, ln.split())) for ln in path.read_text().splitlines() if ln.strip()]
        return {"p": [r[0] for r in rows], "d": [r[1] for r in rows]}
    text = path.read_text()
    return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)


def _mutate(doc, data):
    d = copy.deepcopy(doc)
    paths = list(_paths(d))
    for _ in range(data.draw(st.integers(1, 2))):
        p = data.draw(st.sampled_from(paths))
        o = d
        try:
            for k in p[:-1]:
                o = o[k]
            if data.draw(st.booleans()) and isinstance(o, dict):
                o.pop(p[-1], None)
            else:
                o[p[-1]] = copy.deepcopy(data.draw(st.sampled_from(ODD)))
        except (KeyError, IndexError, TypeError):
            pass  # an earlier change removed the path
    return d


@pytest.mark.parametrize("key", PROBLEMS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_instance_readers_raise_only_input_errors(key, data, tmp_path):
    f = tmp_path / "doc.json"
    f.write_text(json.dumps(_mutate(_document(key), data)))
    try:
        read_instance(get_problem(key), str(f))
    except InputError:
        pass


_SOLVED = {}


def _solved(key):
    if key not in _SOLVED:
        prob = get_problem(key)
        inst = read_instance(prob, str(example_path(prob)))
        method = {"rcpsp": "sgs-lft", "dag": "heft", "smtt": "edd", "podpack": "default"}[key]
        res = run_method(prob, method, inst, Options())
        _SOLVED[key] = inst, res.to_dict(lambda s: prob.solution_to_dict(s, inst))
    return _SOLVED[key]


@pytest.mark.parametrize("key", PROBLEMS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_solution_readers_and_validators_raise_only_input_errors(key, data, tmp_path):
    prob = get_problem(key)
    inst, doc = _solved(key)
    doc = dict(doc, solution=_mutate(doc["solution"], data))
    f = tmp_path / "sol.json"
    f.write_text(json.dumps(doc))
    try:
        if prob.read_solution is not None:
            sol = prob.read_solution(inst, f)
        else:
            sol = prob.solution_from_dict(inst, solution_of(json.loads(f.read_text()), f), f)
        prob.evaluate(inst, sol)
    except InputError:
        pass
