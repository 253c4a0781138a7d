"""Shared fixtures: where the public benchmark sets are, and small helpers."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from schedcert.cli.main import cli

ROOT = Path(__file__).resolve().parents[1]


def shared_instances() -> Path | None:
    """``$SCHEDCERT_INSTANCES`` or ``../shared/instances`` beside the repo."""
    env = os.environ.get("SCHEDCERT_INSTANCES")
    for cand in ([Path(env)] if env else []) + [ROOT.parent / "shared" / "instances"]:
        if cand.is_dir():
            return cand
    return None


@pytest.fixture(scope="session")
def instances_dir() -> Path:
    d = shared_instances()
    if d is None:
        pytest.skip("public benchmark sets not found: set SCHEDCERT_INSTANCES or place them at ../shared/instances")
    return d


@pytest.fixture(scope="session")
def psplib(instances_dir) -> Path:
    d = instances_dir / "psplib"
    if not (d / "j30").is_dir():
        pytest.skip(f"PSPLIB j30 not found under {d}")
    return d


@pytest.fixture(scope="session")
def topcuoglu(instances_dir) -> Path:
    """Folder of Topcuoglu et al.'s canonical 10-task HEFT example."""
    d = instances_dir / "dag" / "topcuoglu2002"
    if not (d / "costs.csv").is_file():
        pytest.skip(f"Topcuoglu example not found under {d}")
    return d


def read_bounds(path: Path) -> dict:
    with path.open() as fh:
        return {r["instance"]: r for r in csv.DictReader(fh)}


@pytest.fixture()
def run():
    """Invoke the CLI through Click's runner: ``run("solve", ...)``; fails
    the test on any traceback in the output."""
    runner = CliRunner()

    def _run(*args):
        res = runner.invoke(cli, list(map(str, args)), catch_exceptions=False)
        assert "Traceback" not in res.output
        return res

    return _run
