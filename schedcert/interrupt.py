"""Ctrl-C (SIGINT) during a solve: stop, keep the best answer, say so.

CP-SAT's own SIGINT handling (``SatParameters.catch_sigint_signal``, on by
default) stops only the solve running at that moment — a method made of
several solves (rcpsp: improve phase, then proof) carries on with the next
— and on return resets SIGINT to the system default, so the next Ctrl-C
kills Python without cleanup. A bench then recorded the cut-short run as if
it had had its whole time limit, and went on. schedcert turns CP-SAT's
handling off (:func:`run_cpsat`) and handles Ctrl-C itself:

* :func:`install` (the CLI, each bench worker) routes SIGINT through
  ``signal.set_wakeup_fd`` to a watcher thread, which marks the process
  interrupted and calls ``stop_search()`` on every CP-SAT solver running
  (:func:`run_cpsat` registers them): a solve stops at once, even while the
  main thread waits inside the solver;
* after that every CP-SAT solve gets no time, so a method of several
  phases returns promptly with its best answer and proven bound (both stay
  valid: a stopped search proves what it proved);
* outside a CP-SAT solve (pure-Python heuristics, HiGHS), and at a
  second Ctrl-C anywhere, it raises KeyboardInterrupt as usual.

:func:`interrupted` tells ``run_method`` to mark the result
(``info['interrupted']``); ``solve``/``certify`` print it with a note and
exit 130, and ``bench`` records no interrupted run and stops (rerun the
command to resume).
"""

from __future__ import annotations

import os
import signal
import threading

_FLAG = threading.Event()
_LOCK = threading.Lock()
_RUNNING: list = []  # CP-SAT solvers solving now
_STATE = {"installed": False, "stopped_a_solve": False, "presses": 0}


def interrupted() -> bool:
    """True once Ctrl-C was pressed in this process (after :func:`install`)."""
    return _FLAG.is_set()


def _stop_all() -> None:
    _FLAG.set()
    with _LOCK:
        if _RUNNING:
            _STATE["stopped_a_solve"] = True  # before the solve can return
        for solver in _RUNNING:
            solver.stop_search()


def _watch(fd: int) -> None:
    while True:
        try:
            data = os.read(fd, 64)
        except OSError:
            return
        if not data:
            return
        if signal.SIGINT in data:
            _stop_all()


def _on_sigint(signum, frame) -> None:
    """Python-level handler (runs in the main thread once it is back in
    Python): at the first Ctrl-C, inside a CP-SAT solve or right after one
    it stopped, only mark; otherwise raise KeyboardInterrupt as Python does."""
    _FLAG.set()
    _STATE["presses"] += 1
    with _LOCK:
        inside = bool(_RUNNING) or _STATE["stopped_a_solve"]
    if not inside or _STATE["presses"] > 1:
        raise KeyboardInterrupt


def install() -> None:
    """Handle Ctrl-C as the module docstring says. Call from the main
    thread; later calls do nothing."""
    if _STATE["installed"] or threading.current_thread() is not threading.main_thread():
        return
    r, w = os.pipe()
    os.set_blocking(w, False)
    signal.set_wakeup_fd(w, warn_on_full_buffer=False)
    signal.signal(signal.SIGINT, _on_sigint)
    threading.Thread(target=_watch, args=(r,), name="schedcert-sigint", daemon=True).start()
    _STATE["installed"] = True


def run_cpsat(solver, model) -> int:
    """``solver.solve(model)`` with CP-SAT's own SIGINT handling off, the
    solver registered for :func:`install`'s watcher, and no time left once
    the process was interrupted. Returns CP-SAT's status code."""
    solver.parameters.catch_sigint_signal = False
    if interrupted():
        solver.parameters.max_time_in_seconds = 0.0
    with _LOCK:
        _RUNNING.append(solver)
    try:
        if interrupted():  # Ctrl-C between the check above and the registration
            solver.stop_search()
        return solver.solve(model)
    finally:
        with _LOCK:
            _RUNNING.remove(solver)
