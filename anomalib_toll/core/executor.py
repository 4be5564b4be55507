# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""The one executor: run independent jobs here, in local processes or on Ray; failures are outcomes.

Local worker processes run one thread each: the small networks cannot keep two threads
busy, so one process per core uses the machine without oversubscription. Results come
back as they finish; a job that raises yields its exception instead of stopping the
others. Workers end with the main process however it ends (SIGKILL too: each watches
it), and Ctrl-C or a caller that stops early ends them instead of waiting for their jobs.

Example:
    >>> [outcome for _, outcome in execute(abs, [-1, 2], workers=1)]
    [1, 2]
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import signal
import threading
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import TYPE_CHECKING, Literal, TypeVar

from anomalib_toll.notices import InputWarning

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from concurrent.futures import Future

Job = TypeVar("Job")
Result = TypeVar("Result")
Executor = Literal["local", "ray"]
EXECUTORS: tuple[str, ...] = ("local", "ray")
PARENT_POLL_SECONDS = 0.5  # how often a worker checks that the main process is still there


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


def _single_thread(run: Callable[[Job], Result], job: Job) -> Result:
    import torch

    torch.set_num_threads(1)
    return run(job)


def _future_result(future: Future[Result], _job: object) -> Result:
    return future.result()


def _attempt(run: Callable[[Job], Result], job: Job) -> tuple[Job, Result | BaseException]:
    try:
        return job, run(job)
    except Exception as err:  # noqa: BLE001  one failing job must not stop the others
        return job, err


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


def _local(run: Callable[[Job], Result], jobs: list[Job], workers: int) -> Iterator[tuple[Job, Result | BaseException]]:
    if workers <= 1:
        for job in jobs:
            yield _attempt(run, job)
        return
    # spawn, not fork: forking after torch has started threads can hang
    pool = ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_start, initargs=(os.getpid(),),
    )
    try:
        futures = {pool.submit(functools.partial(_single_thread, run), job): job for job in jobs}
        for future in as_completed(futures):
            yield _attempt(functools.partial(_future_result, future), futures[future])
    except BaseException:  # Ctrl-C, or the caller stopped early: end the running jobs instead of waiting for them
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)  # quick now; frees the queues (no "leaked semaphore" note)
        raise
    pool.shutdown()


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
