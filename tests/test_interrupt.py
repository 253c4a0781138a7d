"""Ctrl-C (SIGINT) in real processes: solve stops at once with its best
schedule, still validated, marked and exit 130; bench records no run cut
short and stops (schedcert/interrupt.py)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")

CLI = [sys.executable, "-c", "from schedcert.cli.main import main; main()"]


@pytest.fixture(scope="module")
def hard_instance(tmp_path_factory):
    """120 activities, resource strength 0.1: CP-SAT needs far more than a
    minute to prove it (20 s leave a 9.8 % gap), so a run stopped within
    seconds was stopped by Ctrl-C, not by proving or by its limit."""
    from schedcert.instances.rcpsp import PROBLEM, generate

    folder = tmp_path_factory.mktemp("hard")
    inst = generate(seed=3, jobs=120, resources=4, resource_strength=0.1)
    path = folder / "hard.json"
    PROBLEM.write(inst, path)
    return path


def _wait_for(predicate, seconds: float) -> None:
    end = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < end, "the child process did not get that far"
        time.sleep(0.1)


def test_ctrl_c_stops_solve_with_its_best_schedule(hard_instance, tmp_path):
    err = tmp_path / "stderr.txt"
    with err.open("w") as fh:
        # improve=0: a single CP-SAT search (no short phase before it), so the signal lands inside one
        proc = subprocess.Popen([*CLI, "solve", "rcpsp", hard_instance, "--time-limit", "300", "--json", "--log",
                                 "--param", "improve=0"], stdout=subprocess.PIPE, stderr=fh, text=True, cwd=tmp_path)
        _wait_for(lambda: "Starting CP-SAT" in err.read_text(), 120)  # the search is running
        time.sleep(1.0)
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, err.read_text()[-2000:]
    assert time.monotonic() - sent < 30  # not the 300 s limit
    doc = json.loads(out)
    assert doc["info"]["interrupted"] is True and doc["valid"] is True
    assert doc["status"] == "feasible" and doc["bound"] < doc["objective"]


@pytest.mark.parametrize("jobs", [1, 2])
def test_ctrl_c_stops_bench_without_recording_the_run_cut_short(hard_instance, tmp_path, jobs):
    """The signal goes to the main process only (as `kill -INT`); with
    --jobs 2 it must stop the workers' runs too (they ran to their limit)."""
    out, folder = tmp_path / "b", tmp_path / "in"
    folder.mkdir()
    for k in range(2):
        (folder / f"hard{k}.json").write_text(hard_instance.read_text())
    proc = subprocess.Popen([*CLI, "bench", "rcpsp", folder, "--methods", "cpsat", "--time-limit", "300",
                             "--jobs", str(jobs), "-o", out],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    _wait_for(lambda: (out / "bench.json").exists(), 120)
    time.sleep(4.0)  # into the run: GA warm start or CP-SAT
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr[-2000:]
    assert time.monotonic() - sent < 30
    assert "rerun the same command to resume" in stderr and "Traceback" not in stderr
    assert (out / "runs.jsonl").read_text() == ""
