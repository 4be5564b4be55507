"""Local worker processes: every job's outcome comes back once, an error with where it failed, a dead worker fails
only its own job."""

import os

from anomalib_toll.core.executor import RemoteTraceback, execute

DIES = 3  # the exit code of the worker that dies mid-job


def work(job: int) -> int:
    """Ten times the job; job 1 raises, job 2 ends its worker process."""
    if job == 1:
        msg = f"job {job} failed"
        raise ValueError(msg)
    if job == 2:
        os._exit(DIES)
    return 10 * job


def test_each_job_comes_back_once_with_its_result_or_its_error():
    outcomes = list(execute(work, [0, 1, 2, 3, 4], workers=2))
    assert sorted(job for job, _ in outcomes) == [0, 1, 2, 3, 4]
    by_job = dict(outcomes)
    assert [by_job[job] for job in (0, 3, 4)] == [0, 30, 40]  # a new worker took the jobs after the dead one's
    error = by_job[1]
    assert isinstance(error, ValueError)
    assert str(error) == "job 1 failed"
    assert isinstance(error.__cause__, RemoteTraceback)  # where it failed, in the worker: shown by --debug
    assert 'test_worker_outcomes.py", line' in str(error.__cause__)
    assert "in work" in str(error.__cause__)
    assert isinstance(by_job[2], RuntimeError)
    assert f"exit code {DIES}" in str(by_job[2])
