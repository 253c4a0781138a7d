"""schedcert: certified scheduling (see README.md).

In a source checkout, pyproject.toml maps the folders ``instances/``,
``models/``, ``heuristics/`` and ``cli/`` beside this one into the package as
``schedcert.instances`` etc. Python run from the checkout's root
(``python -m schedcert``, ``python -m pytest``) imports this folder rather
than the installed package, so the same mapping is made here: the
checkout's root joins the package's search path when it holds those
folders and pyproject.toml.
"""

from pathlib import Path as _Path

_checkout = _Path(__file__).resolve().parent.parent
if (_checkout / "pyproject.toml").is_file() and (_checkout / "cli" / "main.py").is_file():
    __path__.append(str(_checkout))  # noqa: F821 - a package's __path__
