"""The README's Python API block runs and prints what its comments say."""

import contextlib
import io
import json
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def _api_block() -> str:
    text = README.read_text()
    section = text.split("## Python API", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_python_api_block_runs_as_documented():
    out, scope = io.StringIO(), {}
    with contextlib.redirect_stdout(out):
        exec(compile(_api_block(), "README.md", "exec"), scope)
    lines = out.getvalue().splitlines()
    assert lines[0] == "optimal 59 59 0.0"
    assert lines[2] == "Evaluation(objective=59, violations=[])"
    heuristic, bound, deviation = lines[3].split()
    assert (heuristic, bound) == ("60", "59") and abs(float(deviation) - 1 / 59) < 1e-9
    rcpsp, inst, res = scope["rcpsp"], scope["inst"], scope["res"]
    doc = json.loads(json.dumps(res.to_dict(lambda s: rcpsp.solution_to_dict(s, inst))))
    assert doc["objective"] == 59 and doc["valid"] is True and doc["solution"]["starts"]
