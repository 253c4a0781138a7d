"""``python -m schedcert ...``: the ``schedcert`` command, for when the
console script is not on PATH (e.g. after ``pip install --user``)."""

from schedcert.cli.main import main

if __name__ == "__main__":
    main()
