"""RCPSP extensions: the document format, the overlay, hand-written
schedules, the validator (one test per violation type) and the ramp
generator."""

import json
from importlib.resources import files

import networkx as nx
import pytest

from schedcert.errors import InputError
from schedcert.instances import rcpsp as R
from schedcert.instances import rcpsp_doc as D
from schedcert.instances import rcpsp_ramp as G

TINY = """\
name: tiny
resources:
  - {name: crew, capacity: 2, downtime: [[4, 8]]}
  - {name: lift, capacity: 1, calendar: [{start: 0, end: 3, capacity: 0}, {start: 20, end: 30, capacity: 2}]}
activities:
  - {name: a, duration: 3, demands: {crew: 1}, successors: [b]}
  - {name: b, duration: 2, demands: {crew: 2}, deadline: 12}
  - {name: c, duration: 2, demands: {crew: 1, lift: 1}, release: 1}
precedences:
  - {from: a, to: c, min_lag: 1, max_lag: 20}
disjunctive:
  - [a, c]
"""


def tiny(tmp_path, text=TINY, name="tiny.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return R.read(p)


def test_yaml_document_fields(tmp_path):
    inst = tiny(tmp_path)
    assert inst.extended and inst.n == 3
    assert inst.calendars[0] == ((4, 8, 0),)
    assert inst.calendars[1] == ((0, 3, 0), (20, 30, 2))
    assert inst.peak_capacity(1) == 2
    assert inst.deadline == (None, 12, None) and inst.release == (0, 0, 1)
    assert inst.successors[0] == (1, 2) and inst.lag(0, 2) == (1, 20) and inst.lag(0, 1) == (0, None)
    assert inst.disjunctive == ((0, 2),)
    assert inst.capacity_segments(1, 25) == [(0, 3, 0), (3, 20, 1), (20, 25, 2)]


def test_integral_floats_are_integers(tmp_path):
    """2.0, as tools writing JSON numbers do, was refused ("expected an integer, found 2.0")."""
    inst = tiny(tmp_path, TINY.replace("{name: b, duration: 2,", "{name: b, duration: 2.0,"))
    assert inst.durations == (3, 2, 2) and type(inst.durations[1]) is int


def test_document_round_trip_json_and_yaml(tmp_path):
    inst = tiny(tmp_path)
    for name in ("back.json", "back.yaml"):
        R.write(inst, tmp_path / name)
        back = R.read(tmp_path / name)
        assert D.to_dict(back) | {"name": "x"} == D.to_dict(inst) | {"name": "x"}


@pytest.mark.parametrize("bad, line, what", [
    ("successors: [b]", 6, "unknown successor 'zz'"),
    ("deadline: 12", 7, "deadline: expected an integer"),
    ("downtime: [[4, 8]]", 3, "overlap"),
    ("crew: 1}, successors: [b]", 6, "successors: expected a list, found 'b'"),  # was read letter by letter
])
def test_yaml_errors_name_the_line(tmp_path, bad, line, what):
    repl = {"successors: [b]": "successors: [zz]", "deadline: 12": "deadline: soon",
            "downtime: [[4, 8]]": "downtime: [[4, 8], [6, 9]]",
            "crew: 1}, successors: [b]": "crew: 1}, successors: b"}[bad]
    with pytest.raises(InputError, match=what) as err:
        tiny(tmp_path, TINY.replace(bad, repl))
    assert err.value.line == line and "tiny.yaml" in str(err.value)


@pytest.mark.parametrize("bad, repl, line, what", [
    ("release: 1", "relase: 1", 8, "activity c: unknown key 'relase' \\(did you mean 'release'\\?\\)"),
    ("downtime: [[4, 8]]", "downtme: [[4, 8]]", 3, "resource crew: unknown key 'downtme' \\(did you mean 'downtime'"),
    ("min_lag: 1", "minlag: 1", 10, "precedence a->c: unknown key 'minlag' \\(did you mean 'min_lag'"),
    ("name: tiny", "horizn: 40", 1, "document: unknown key 'horizn' \\(did you mean 'horizon'"),
    ("{start: 20, end: 30, capacity: 2}", "{start: 20, end: 30, capacity: 2, note: x}", 4,
     "resource lift: calendar: unknown key 'note'; expected start, end, capacity"),
    ("{name: b, duration: 2,", "{name: b,", 7, "activity b: duration: missing; expected an integer"),
    ("{name: b, duration: 2,", "{name: b, duration: 1.5,", 7,
     "activity b: duration: expected an integer, found 1.5 \\(times and amounts are integers: use a finer unit"),
])
def test_misspelt_and_missing_keys_are_named_not_dropped(tmp_path, bad, repl, line, what):
    """A misspelt optional key was dropped without a word: 'relase: 1'
    scheduled c at 0 and the release date was lost; a missing duration
    read 'expected an integer, found None'."""
    with pytest.raises(InputError, match=what) as err:
        tiny(tmp_path, TINY.replace(bad, repl))
    assert err.value.line == line and "tiny.yaml" in str(err.value)


def test_a_key_given_twice_is_refused_not_dropped(tmp_path):
    """YAML and JSON readers keep the last of two equal keys: a second
    'demands' (a misspelt resource in the first) or a second 'deadline'
    replaced the first without a word; a second resource of one name took
    every demand on it against both capacities."""
    text = TINY.replace("deadline: 12}", "deadline: 12,\n     deadline: 30}")
    with pytest.raises(InputError, match="key 'deadline' given twice \\(first on line 7\\)") as err:
        tiny(tmp_path, text)
    assert err.value.line == 8
    text = TINY.replace("  - {name: lift,", "  - {name: crew, capacity: 5}\n  - {name: lift,")
    with pytest.raises(InputError, match="resource name 'crew' is used twice") as err:
        tiny(tmp_path, text)
    assert err.value.line == 4
    doc = D.to_dict(tiny(tmp_path))
    bad = json.dumps(doc).replace('"name": "b", ', '"name": "b", "duration": 9, ', 1)
    with pytest.raises(InputError, match="key 'duration' given twice in one object \\(the one named 'b'\\)"):
        tiny(tmp_path, bad, "tiny.json")


def test_overlay_adds_constraints_to_a_base_instance(tmp_path):
    base = tmp_path / "base.json"
    base.write_text(files("schedcert").joinpath("examples/rcpsp-example.json").read_text())
    b = R.read(base)
    a1, a2 = b.activity_names[1], b.activity_names[2]
    (tmp_path / "ov.yaml").write_text(
        f"base: base.json\nactivities:\n  - {{name: '{a1}', release: 5, deadline: 90}}\n"
        f"resources:\n  - {{name: {b.resource_names[0]}, downtime: [[10, 12]]}}\n"
        f"disjunctive:\n  - ['{a1}', '{a2}']\n")
    inst = R.read(tmp_path / "ov.yaml")
    assert inst.durations == b.durations and inst.successors == b.successors
    assert inst.release[1] == 5 and inst.deadline[1] == 90 and inst.calendars[0] == ((10, 12, 0),)
    assert inst.disjunctive == ((1, 2),)
    (tmp_path / "bad.yaml").write_text("base: base.json\nactivities:\n  - {name: nope, release: 1}\n")
    with pytest.raises(InputError, match="unknown activity 'nope'"):
        R.read(tmp_path / "bad.yaml")
    r0 = b.resource_names[0]
    (tmp_path / "bad.yaml").write_text(f"base: base.json\nresources:\n  - {{name: {r0}, capacity: 9}}\n")
    with pytest.raises(InputError, match="overlay: resource .*: unknown key 'capacity'; expected name, downtime"):
        R.read(tmp_path / "bad.yaml")  # the base's capacity stays; the overlay cannot change it
    (tmp_path / "bad.yaml").write_text(f"base: base.json\nactivities:\n  - {{name: '{a1}', relase: 5}}\n")
    with pytest.raises(InputError, match="overlay: activity .*: unknown key 'relase' \\(did you mean 'release'"):
        R.read(tmp_path / "bad.yaml")
    (tmp_path / "bad.yaml").write_text(f"base: base.json\nactivities:\n  - {{name: '{a1}', release: 5}}\n"
                                       f"  - {{name: '{a1}', release: 9}}\n")  # the second replaced the first
    with pytest.raises(InputError, match=f"overlay: activity {a1} is listed twice \\(first on line 3\\)") as err:
        R.read(tmp_path / "bad.yaml")
    assert err.value.line == 4
    (tmp_path / "meta.yaml").write_text("base: base.json\nmetadata: {owner: ops}\nbase_note: x\n")
    with pytest.raises(InputError, match="overlay: unknown key 'base_note'"):
        R.read(tmp_path / "meta.yaml")
    (tmp_path / "meta.yaml").write_text("base: base.json\nmetadata: {owner: ops}\n")
    assert R.read(tmp_path / "meta.yaml").metadata["owner"] == "ops"


# --- validator: one test per violation type -------------------------------

def kinds(inst, sol):
    return sorted({v.split(":")[0] for v in R.evaluate(inst, sol).violations})


@pytest.fixture
def inst(tmp_path):
    return tiny(tmp_path)


@pytest.fixture
def plain(tmp_path):
    """TINY without the crew's downtime."""
    return tiny(tmp_path, TINY.replace("capacity: 2, downtime: [[4, 8]]", "capacity: 2"), "plain.yaml")


def test_feasible_schedule_passes(inst):
    ev = R.evaluate(inst, R.RcpspSolution((0, 8, 10)))  # a [0,3) b [8,10) c [10,12)
    assert ev.feasible, ev.violations
    assert ev.objective == 12


def test_precedence_violation(plain):
    v = R.evaluate(plain, R.RcpspSolution((0, 8, 3))).violations
    assert v == ["precedence: a->c: activity c starts at 3 before a finishes at 3 + min lag 1"]


def test_max_lag_violation(inst):
    assert kinds(inst, R.RcpspSolution((0, 8, 25))) == ["lag"]


def test_resource_violation(plain):
    v = R.evaluate(plain, R.RcpspSolution((0, 4, 4))).violations  # b (crew 2) and c (crew 1) in [4, 6)
    assert v == ["resource: crew: usage 3 > capacity 2 in periods [4, 6) (by 1)"]


def test_downtime_violation(inst):
    v = R.evaluate(inst, R.RcpspSolution((0, 5, 9))).violations  # b in the crew's downtime
    assert v == ["downtime: resource crew: usage 2 during its downtime [4, 8) in periods [5, 7) (by 2)"]
    v = R.evaluate(inst, R.RcpspSolution((0, 8, 1))).violations  # c uses the lift while it is at 0
    assert "downtime" in {x.split(":")[0] for x in v}


def test_window_violations(inst):
    assert kinds(inst, R.RcpspSolution((0, 11, 8))) == ["window"]  # b ends 13 > deadline 12
    i = R.RcpspInstance("w", (2,), ((0,),), (1,), ((),), release=(5,))
    assert kinds(i, R.RcpspSolution((3,))) == ["window"]


def test_horizon_violation():
    i = R.RcpspInstance("h", (2, 2), ((0,), (0,)), (1,), ((1,), ()), horizon=3)
    assert kinds(i, R.RcpspSolution((0, 2))) == ["horizon"]


def test_disjunctive_violation(tmp_path):
    i = tiny(tmp_path, TINY.replace("min_lag: 1, max_lag: 20", "min_lag: -3"))
    v = R.evaluate(i, R.RcpspSolution((0, 8, 3))).violations
    assert "disjunctive" not in {x.split(":")[0] for x in v}
    v = R.evaluate(i, R.RcpspSolution((3, 8, 4))).violations
    assert any(x.startswith("disjunctive: activities a [3, 6) and c [4, 6) overlap") for x in v)


def test_missing_duplicate_unknown_from_csv(inst, tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("activity,start\na,0\nb,8\nb,9\nzz,1\n")
    sol = R.read_solution(inst, p)
    assert kinds(inst, sol) == ["duplicate", "missing", "unknown"]
    p.write_text("activity,start\na,0\nb,x\n")
    with pytest.raises(InputError, match="start 'x' is not an integer") as err:
        R.read_solution(inst, p)
    assert err.value.line == 3
    p.write_text("Activity,Start,Finish\na,0,3\nb,8,10\nc,10,12\n")  # a spreadsheet's header: line 1 was refused
    sol = R.read_solution(inst, p)
    assert sol.starts == (0, 8, 10) and R.evaluate(inst, sol).feasible


def test_duplicate_keys_in_json_schedule(inst, tmp_path):
    p = tmp_path / "s.json"
    p.write_text('{"starts": {"a": 0, "b": 8, "c": 10, "a": 1}}')
    assert kinds(inst, R.read_solution(inst, p)) == ["duplicate"]
    p.write_text(json.dumps({"starts": {"a": 0, "b": 8, "c": 10}}))
    assert R.evaluate(inst, R.read_solution(inst, p)).feasible


# --- ramp generator --------------------------------------------------------

def test_ramp_has_exactly_k_non_redundant_edges_nested_over_levels():
    prev = set()
    for level in range(1, 11):
        inst, _ = G.ramp_instance(seed=4, level=level, mix="precedence")
        edges = set(inst.edges())
        g = nx.DiGraph(list(edges))
        assert len(edges) == level
        assert nx.transitive_reduction(g).number_of_edges() == level
        assert prev <= edges
        layers = inst.metadata["layers"]
        assert all(layers[i] < layers[j] for i, j in edges)
        prev = edges


@pytest.mark.parametrize("mix", list(G.MIXES))
def test_ramp_witness_satisfies_every_added_constraint(mix):
    for seed in range(3):
        inst, witness = G.ramp_instance(seed=seed, level=10, mix=mix)
        assert R.evaluate(inst, R.RcpspSolution(tuple(witness))).feasible
        if mix == "all":
            assert inst.disjunctive and any(inst.calendars) and any(d is not None for d in inst.deadline)


def test_ramp_is_deterministic_and_records_parameters():
    a = D.to_dict(G.ramp_instance(seed=7, level=5, mix="all")[0])
    b = D.to_dict(G.ramp_instance(seed=7, level=5, mix="all")[0])
    c = D.to_dict(G.ramp_instance(seed=8, level=5, mix="all")[0])
    assert a == b and a != c
    assert a["metadata"]["params"]["level"] == 5 and a["metadata"]["params"]["mix"] == "all"


def test_mix_all_is_the_union_of_the_single_mixes():
    parts = {m: G.ramp_instance(seed=2, level=8, mix=m)[0] for m in G.MIXES}
    full = parts["all"]
    assert full.calendars == parts["downtime"].calendars
    assert full.deadline == parts["windows"].deadline and full.release == parts["windows"].release
    assert full.disjunctive == parts["disjunctive"].disjunctive


def test_ramp_rejects_unknown_mix():
    with pytest.raises(InputError, match="unknown mix"):
        G.ramp_instance(mix="everything")


def test_overlay_on_psplib_file(psplib, tmp_path):
    (tmp_path / "ov.yaml").write_text(
        f"base: {psplib / 'j30' / 'j301_1.sm'}\n"
        "activities:\n  - {name: '2', release: 3}\n  - {name: '32', deadline: 60}\n"
        "resources:\n  - {name: R3, downtime: [[10, 20]]}\n"
        "disjunctive:\n  - ['5', '6']\n")
    inst = R.read(tmp_path / "ov.yaml")
    assert inst.n == 32 and inst.capacities == (12, 13, 4, 12) and inst.name == "ov"
    assert inst.release[1] == 3 and inst.deadline[31] == 60 and inst.calendars[2] == ((10, 20, 0),)
    assert inst.disjunctive == ((4, 5),) and R.earliest_starts(inst)[1] == 3


def test_horizon_beyond_the_supported_range_is_refused(tmp_path):
    """A duration of 10^12 made the SGS allocate a 73 TiB resource profile."""
    with pytest.raises(InputError, match=r"planning horizon is 1,000,000,000,\d{3} time units.*up to 1,000,000"):
        tiny(tmp_path, TINY.replace("{name: a, duration: 3", "{name: a, duration: 1000000000000"))


@pytest.mark.parametrize("old, new, message", [
    ("{name: crew, capacity: 2,", "{name: crew, capacity: 1.0e+300,",
     r"resource crew: capacity 1e\+300 is above 1e\+12"),
    ("{start: 20, end: 30, capacity: 2}", "{start: 20, end: 30, capacity: 10000000000000}",
     r"resource lift: capacity 1e\+13 is above 1e\+12"),
    ("{name: a, duration: 3, demands: {crew: 1}", "{name: a, duration: 0, demands: {crew: 1180591620717411303424}",
     r"activity a: demand 1.18e\+21 for resource crew is above 1e\+12, the largest amount schedcert takes; scale"),
    ("{name: a, duration: 3, demands: {crew: 1}", "{name: a, duration: 3, demands: {crew: 1" + "0" * 400 + "}",
     r"activity a: demand a 401-digit number for resource crew is above 1e\+12"),
])
def test_amounts_beyond_64_bit_energies_are_refused(tmp_path, old, new, message):
    """A capacity of 1e300 (or a milestone's demand of 2^70, allowed above
    capacity since it occupies no period) ended in an OverflowError
    traceback in the SGS's 64-bit arrays."""
    assert old in TINY
    with pytest.raises(InputError, match=message):
        tiny(tmp_path, TINY.replace(old, new))
