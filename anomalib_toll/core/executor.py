# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""The one executor: run independent jobs here, in local processes or on Ray; failures are outcomes.

Local worker processes run one thread each: the small networks cannot keep two threads
busy, so one process per core uses the machine without oversubscription. Results come
back as they finish; a job that raises yields its exception instead of stopping the
others. Workers end with the main process however it ends (SIGKILL too: each watches
it), and Ctrl-C or a caller that stops early ends them instead of waiting for their jobs.
Each worker talks to the main process through its own pipe, which holds no named
semaphore: a killed run leaves nothing for Python's resource tracker to report as leaked.

Example:
    >>> [outcome for _, outcome in execute(abs, [-1, 2], workers=1)]
    [1, 2]
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import os
import signal
import threading
import time
import traceback
import warnings
from collections import deque
from multiprocessing import connection
from typing import TYPE_CHECKING, Literal, TypeVar, cast

from anomalib_toll.notices import InputWarning

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from multiprocessing.connection import Connection
    from multiprocessing.context import SpawnContext
    from multiprocessing.process import BaseProcess

Job = TypeVar("Job")
Result = TypeVar("Result")
Executor = Literal["local", "ray"]
EXECUTORS: tuple[str, ...] = ("local", "ray")
PARENT_POLL_SECONDS = 0.5  # how often a worker checks that the main process is still there
STOP_SECONDS = 5.0  # how long a worker told to stop may take to exit before it is terminated


def check_executor(executor: str) -> str:
    """Reject unknown executor names with the valid choices."""
    if executor not in EXECUTORS:
        msg = f"executor must be one of {EXECUTORS}, got {executor!r}."
        raise ValueError(msg)
    return executor


def default_workers(small_network: bool, n_jobs: int) -> int:
    """One process per core (one thread each) for small networks, else one process using every thread.

    The paper's image networks already use every core: two processes would compete for
    them (``docs/results.md``, "Speed").
    """
    return max(1, min(n_jobs, os.cpu_count() or 1)) if small_network else 1


def _attempt(run: Callable[[Job], Result], job: Job) -> tuple[Job, Result | BaseException]:
    try:
        return job, run(job)
    except Exception as err:  # noqa: BLE001  one failing job must not stop the others
        return job, err


class RemoteTraceback(Exception):  # noqa: N818  named as concurrent.futures names its own
    """Where a job failed in its worker process: the cause of the error the main process hands on (``--debug``)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        """The worker's formatted traceback, as Python prints a cause."""
        return f'\n"""\n{self.text}"""'


def _worker_start(parent: int) -> None:
    """A worker leaves Ctrl-C and input warnings to the main process, and exits when that process is gone."""
    from tqdm import tqdm

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process stops the workers itself
    # tqdm's default lock is a multiprocessing semaphore; a worker ended by Ctrl-C or by its parent's death would
    # leave it registered ("leaked semaphore objects" at exit). A worker has one thread of bars: a thread lock does.
    tqdm.set_lock(threading.RLock())
    warnings.filterwarnings("ignore", category=InputWarning)  # the main process said them when it read the input
    threading.Thread(target=_exit_with_parent, args=(parent,), name="exit-with-parent", daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """Wait for the main process to end, however it ends (SIGKILL too), then end this worker at once."""
    handle = multiprocessing.parent_process()  # its sentinel closes when the parent dies
    while os.getppid() == parent and (handle is None or handle.is_alive()):
        if handle is None:
            time.sleep(PARENT_POLL_SECONDS)
        else:
            handle.join(PARENT_POLL_SECONDS)
    os._exit(1)


def _serve(conn: Connection, parent: int) -> None:
    """A worker: run each ``(run, job)`` it is sent on one thread and send back the outcome; ``None`` ends it."""
    import torch

    _worker_start(parent)
    torch.set_num_threads(1)  # one process per core: see the module docstring
    with contextlib.suppress(EOFError, BrokenPipeError):  # the main process is gone, and with it this work
        while (task := conn.recv()) is not None:
            run, job = task
            try:
                conn.send((True, run(job)))
            except Exception as err:  # noqa: BLE001  the job's error is its outcome
                _send_error(conn, err)


def _send_error(conn: Connection, error: Exception) -> None:
    """Send a job's error with its traceback; an error that cannot be pickled as a ``RuntimeError`` saying so."""
    text = "".join(traceback.format_exception(error))
    try:
        conn.send((False, (error, text)))
    except Exception:  # noqa: BLE001  pickling failed: the message and traceback still go back
        conn.send((False, (RuntimeError(f"{type(error).__name__}: {error} (not picklable)"), text)))


def _received(conn: Connection, process: BaseProcess) -> object:
    """The outcome a worker sent back: the job's result or its error (caused by the worker's traceback)."""
    try:
        ok, payload = conn.recv()
    except EOFError:  # the worker died (killed, out of memory) during the job
        process.join()
        return RuntimeError(f"the worker process running this job ended with exit code {process.exitcode}")
    if ok:
        return payload
    error, text = payload
    error.__cause__ = RemoteTraceback(text)
    return error


def _local(run: Callable[[Job], Result], jobs: list[Job], workers: int) -> Iterator[tuple[Job, Result | BaseException]]:
    """Run the jobs in ``workers`` processes, each fed one job at a time through its own pipe.

    Pipes, not ``ProcessPoolExecutor``'s queues: those hold named semaphores, which a
    SIGKILL of the main process leaves to the resource tracker ("leaked semaphore objects").
    A worker that dies fails its job only; a new one takes the next.
    """
    if workers <= 1:
        for job in jobs:
            yield _attempt(run, job)
        return
    pool: dict[Connection, BaseProcess] = {}
    try:
        yield from _feed(run, deque(jobs), workers, pool)
    except BaseException:  # Ctrl-C, or the caller stopped early: end the running jobs instead of waiting for them
        _stop(pool, terminate=True)
        raise
    for conn in pool:
        conn.send(None)
    _stop(pool)


def _feed(
    run: Callable[[Job], Result], todo: deque[Job], workers: int, pool: dict[Connection, BaseProcess],
) -> Iterator[tuple[Job, Result | BaseException]]:
    """Hand the jobs to the workers of ``pool`` (started as needed, up to ``workers``); yield outcomes as they come."""
    context = multiprocessing.get_context("spawn")  # spawn, not fork: forking after torch has started threads can hang
    busy: dict[Connection, Job] = {}
    while todo or busy:
        while todo and len(busy) < workers:
            conn = next((c for c in pool if c not in busy), None) or _start_worker(context, pool)
            busy[conn] = todo.popleft()
            conn.send((run, busy[conn]))
        for ready in connection.wait(list(busy)):
            conn = cast("Connection", ready)
            outcome = cast("Result | BaseException", _received(conn, pool[conn]))
            if not pool[conn].is_alive():
                _stop({conn: pool.pop(conn)})
            yield busy.pop(conn), outcome


def _start_worker(context: SpawnContext, pool: dict[Connection, BaseProcess]) -> Connection:
    """One more worker process in ``pool``; the main process's end of its pipe."""
    ours, theirs = context.Pipe()
    process = context.Process(target=_serve, args=(theirs, os.getpid()), name="anomalib-toll-worker")
    process.start()
    theirs.close()
    pool[ours] = process
    return ours


def _stop(pool: dict[Connection, BaseProcess], terminate: bool = False) -> None:
    """End the workers: those told to stop exit by themselves (``terminate``: at once, mid-job), then free them."""
    for conn, process in pool.items():
        if not terminate:
            process.join(STOP_SECONDS)
        if process.is_alive():
            process.terminate()
        process.join()
        process.close()
        conn.close()


def _ray(run: Callable[[Job], Result], jobs: list[Job]) -> Iterator[tuple[Job, Result | BaseException]]:
    try:
        import ray
    except ImportError as err:
        msg = "executor='ray' needs Ray: pip install 'anomalib-toll[ray]' (or use executor='local')."
        raise ImportError(msg) from err
    ray.init(ignore_reinit_error=True)
    remote = ray.remote(run)
    pending = {remote.remote(job): job for job in jobs}
    task_error = getattr(getattr(ray, "exceptions", None), "RayTaskError", ())

    def result(ref: ray.ObjectRef[Result], _job: object) -> Result:
        try:
            return ray.get(ref)
        except task_error as err:  # report the job's own exception, as the local executor does
            raise err.cause from None

    while pending:
        (ready,), _ = ray.wait(list(pending), num_returns=1)
        yield _attempt(functools.partial(result, ready), pending.pop(ready))


def execute(
    run: Callable[[Job], Result], jobs: Iterable[Job], workers: int = 1, executor: str = "local",
) -> Iterator[tuple[Job, Result | BaseException]]:
    """Yield ``(job, run(job) or the exception it raised)`` as jobs finish.

    ``run`` must be importable by name (a module-level function) for worker processes and Ray.
    """
    jobs = list(jobs)
    if check_executor(executor) == "ray":
        return _ray(run, jobs)
    return _local(run, jobs, workers)
