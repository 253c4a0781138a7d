"""RCPSP readers, writer, generator and the independent validator."""


import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schedcert.errors import InfeasibleInstance, InputError
from schedcert.instances import rcpsp as R

from conftest import read_bounds

J301_1_CP = 38  # critical path of j301_1 in the shared bounds file


def test_read_psplib_j301_1(psplib):
    inst = R.read(psplib / "j30" / "j301_1.sm")
    assert inst.n == 32 and inst.capacities == (12, 13, 4, 12)
    assert inst.durations[1] == 8 and inst.demands[1] == (4, 0, 0, 0)
    assert inst.successors[0] == (1, 2, 3)
    assert R.critical_path_bound(inst) == J301_1_CP


def test_critical_path_matches_shared_file(psplib):
    bounds = read_bounds(psplib / "bounds" / "j60.csv")
    for name in ["j601_1.sm", "j6010_5.sm", "j6048_10.sm"]:
        inst = R.read(psplib / "j60" / name)
        assert R.critical_path_bound(inst) == int(bounds[name]["critical_path"])
        assert R.lower_bound(inst) <= int(bounds[name]["lower_bound"])


def test_json_round_trip(tmp_path):
    inst = R.generate(seed=3, jobs=12, resources=3)
    R.write(inst, tmp_path / "i.json")
    back = R.read(tmp_path / "i.json")
    assert back.durations == inst.durations and back.demands == inst.demands
    assert back.successors == inst.successors and back.capacities == inst.capacities
    assert back.metadata["params"]["seed"] == 3


def test_patterson_reader(tmp_path):
    f = tmp_path / "tiny.rcp"
    # 4 activities, 1 resource of capacity 2; 1 -> {2, 3} -> 4
    f.write_text("4 1\n2\n0 0 2 2 3\n3 2 1 4\n2 1 1 4\n0 0 0\n")
    inst = R.read(f)
    assert inst.durations == (0, 3, 2, 0) and inst.successors == ((1, 2), (3,), (3,), ())


def test_generator_is_deterministic_and_records_parameters():
    a = R.generate(seed=5, jobs=20, resources=3, resource_strength=0.4)
    b = R.generate(seed=5, jobs=20, resources=3, resource_strength=0.4)
    c = R.generate(seed=6, jobs=20, resources=3, resource_strength=0.4)
    assert R.to_dict(a) == R.to_dict(b) and R.to_dict(a) != R.to_dict(c)
    assert a.metadata["params"]["resource_strength"] == 0.4
    assert a.n == 22 and max(max(d) - c for d in a.demands for c in a.capacities) <= max(a.capacities)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 5), st.integers(0, 4)), max_size=8))
def test_peak_demand_sweep_matches_the_period_by_period_sum(jobs):
    """The generator's Kmax (peak demand of the earliest-start schedule) is a
    sweep over start/end events now; the period-by-period sum it replaces
    took minutes at --max-duration 10^8. Activity j busy in [S_j, S_j + p_j)."""
    starts, durations, demand = (list(c) for c in zip(*jobs)) if jobs else ([], [], [])
    periods = range(max((s + p for s, p in zip(starts, durations)), default=0))
    expected = max((sum(q for s, p, q in zip(starts, durations, demand) if s <= t < s + p) for t in periods), default=0)
    assert R._peak(starts, durations, demand) == expected


def test_generator_strength_one_is_the_earliest_start_peak():
    """RS = 1 sets each capacity to Kmax, the peak of the earliest-start
    schedule (Kolisch et al. 1995), here with durations up to 80 000."""
    inst = R.generate(seed=2, jobs=12, resources=2, resource_strength=1.0, max_duration=80_000)
    es = R.earliest_starts(inst)
    for k, cap in enumerate(inst.capacities):
        ends = sorted({s + p for s, p in zip(es, inst.durations)} | set(es))
        peak = max(sum(inst.demands[j][k] for j in range(inst.n) if es[j] <= t < es[j] + inst.durations[j])
                   for t in ends)  # the load only changes at a start or an end
        assert cap == peak


# ---- bad input: each names file and line ---------------------------------

def _sm(psplib, tmp_path, edit):
    text = (psplib / "j30" / "j301_1.sm").read_text().splitlines()
    text = edit(text)
    f = tmp_path / "bad.sm"
    f.write_text("\n".join(text) + "\n")
    return f


def test_truncated_sm(psplib, tmp_path):
    f = _sm(psplib, tmp_path, lambda t: t[:30])
    with pytest.raises(InputError, match=r"bad.sm:30: truncated or not a PSPLIB .sm file"):
        R.read(f)


def test_malformed_token_sm(psplib, tmp_path):
    def edit(t):
        t[20] = t[20].replace("3", "x", 1)
        return t
    with pytest.raises(InputError, match=r"bad.sm:21: expected integers"):
        R.read(_sm(psplib, tmp_path, edit))


def test_successor_count_mismatch_sm(psplib, tmp_path):
    def edit(t):
        t[18] = t[18] + "  9"  # job 1 now lists 4 successors but says 3
        return t
    with pytest.raises(InputError, match=r"bad.sm:19: expected job number, #modes, #successors"):
        R.read(_sm(psplib, tmp_path, edit))


def test_negative_duration_sm(psplib, tmp_path):
    def edit(t):
        i = next(k for k, l in enumerate(t) if l.split()[:3] == ["2", "1", "8"])
        t[i] = t[i].replace(" 8 ", "-8 ", 1)
        return t
    with pytest.raises(InputError, match=r"bad.sm:\d+: activity 2: negative duration -8"):
        R.read(_sm(psplib, tmp_path, edit))


def test_cycle_sm(psplib, tmp_path):
    def edit(t):
        i = next(k for k, l in enumerate(t) if l.split()[:1] == ["20"] and len(l.split()) == 5)
        t[i] = "  20        1          2          23  2"  # 2 -> ... -> 20 -> 2
        return t
    with pytest.raises(InputError, match=r"precedence cycle .*expected an acyclic"):
        R.read(_sm(psplib, tmp_path, edit))


def test_demand_above_capacity_is_infeasible(psplib, tmp_path):
    def edit(t):
        i = next(k for k, l in enumerate(t) if l.split()[:3] == ["3", "1", "4"])
        t[i] = "  3      1     4      99    0    0    0"
        return t
    with pytest.raises(InfeasibleInstance, match=r"bad.sm:\d+: infeasible: activity 3 demands 99 of resource R1"):
        R.read(_sm(psplib, tmp_path, edit))


def test_missing_file_and_unknown_ending(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        R.read(tmp_path / "nope.sm")
    f = tmp_path / "x.dat"
    f.write_text("1")
    with pytest.raises(InputError, match="cannot tell the format"):
        R.read(f)
    mm = tmp_path / "j102_4.mm"
    mm.write_text("1")
    with pytest.raises(InputError, match=r"j102_4.mm: multi-mode PSPLIB \(.mm\) is not supported"):
        R.read(mm)


def test_truncated_rcp(tmp_path):
    f = tmp_path / "t.rcp"
    f.write_text("4 1\n2\n0 0 2 2 3\n3 2 1\n")
    with pytest.raises(InputError, match=r"t.rcp:4: truncated: expected a successor of activity 2"):
        R.read(f)


def test_bad_json_line(tmp_path):
    f = tmp_path / "i.json"
    f.write_text('{\n "resources": [\n')
    with pytest.raises(InputError, match=r"i.json:3: invalid JSON"):
        R.read(f)


# ---- validator against a brute-force resource profile --------------------

def _brute_force_ok(inst, starts):
    """Period-by-period check written independently of `evaluate`."""
    if any(s < 0 for s in starts):
        return False
    for i, j in inst.edges():
        if starts[j] < starts[i] + inst.durations[i]:
            return False
    horizon = max(s + d for s, d in zip(starts, inst.durations))
    for t in range(horizon):
        for k, cap in enumerate(inst.capacities):
            if sum(inst.demands[j][k] for j in range(inst.n)
                   if starts[j] <= t < starts[j] + inst.durations[j]) > cap:
                return False
    return True


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 10_000), jobs=st.integers(1, 8), data=st.data())
def test_validator_matches_brute_force(seed, jobs, data):
    inst = R.generate(seed=seed, jobs=jobs, resources=2, resource_strength=0.3, max_duration=4)
    horizon = sum(inst.durations) + 2
    starts = data.draw(st.lists(st.integers(0, horizon), min_size=inst.n, max_size=inst.n))
    ev = R.evaluate(inst, R.RcpspSolution(tuple(starts)))
    assert ev.feasible == _brute_force_ok(inst, starts)
    assert ev.objective == max(s + d for s, d in zip(starts, inst.durations))


def test_validator_names_each_violation():
    inst = R.RcpspInstance("t", (2, 2, 1), ((1,), (1,), (1,)), (1,), ((1,), (), ()))
    ev = R.evaluate(inst, R.RcpspSolution((0, 1, 0)))
    assert any(v.startswith("precedence: 1->2") for v in ev.violations)
    assert any(v.startswith("resource: R1: usage") for v in ev.violations)
    assert not R.evaluate(inst, R.RcpspSolution((0, 2, 4))).violations
    assert R.evaluate(inst, R.RcpspSolution((0, 2))).violations  # missing start
    assert R.evaluate(inst, R.RcpspSolution((0, -1, 4))).violations
