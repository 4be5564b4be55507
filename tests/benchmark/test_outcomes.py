"""How a grid ends: failed cells as results, damaged store lines set aside once, file modes, kill and Ctrl-C."""

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from anomalib_toll.benchmark import ResultStore, Row, run_benchmark
from anomalib_toll.cli import main
from anomalib_toll.notices import InputWarning
from anomalib_toll.protocol import Budget
from anomalib_toll.report import summary_table
from anomalib_toll.runners import PyODRunner

TINY = Budget(iterations=20, batch_size=32, eval_every=10)
LINUX = Path("/proc/self/stat").exists()


def broken_fit(self, split, seed, budget):
    msg = "diverged"
    raise RuntimeError(msg)


def test_a_failed_cell_is_a_row_of_every_export_and_of_the_summary(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(PyODRunner, "fit", broken_fit)
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_:
        main(["benchmark", "--models", "iforest,toll", "--classes", "[0]", "--iterations", "20", "--batch_size", "32",
              "--eval_every", "10", "--workers", "1", "--output", str(out)])
    assert exit_.value.code == 1  # the run failed; its usage was fine
    assert "anomalib-toll: error: 1 cell(s) failed" in capsys.readouterr().err
    exported = json.loads((out / "results.json").read_text())
    failed = next(r for r in exported if r["model"] == "iforest")
    assert (failed["error"], failed["value"], failed["seed"]) == ("RuntimeError: diverged", None, 0)
    assert [r["error"] for r in csv.DictReader((out / "results.csv").open())] == ["", "RuntimeError: diverged"]
    summary = (out / "summary.md").read_text()
    assert "| 0 | failed | " in summary
    assert "**" not in summary.split("| 0 |")[1].splitlines()[0]  # toll did not win a row it had alone
    assert "- iforest, normal class 0, seed 0: RuntimeError: diverged" in summary
    assert [r.model for r in ResultStore(out).rows()] == ["toll"]  # not stored: a rerun retries it


def test_a_model_given_by_class_path_has_one_name_in_progress_errors_and_results(tmp_path, capsys):
    out = tmp_path / "out"
    with pytest.raises(SystemExit):
        main(["benchmark", "--models", "tests.benchmark.user_detector.Boom,iforest", "--classes", "[0]", "--output",
              str(out)])
    stderr = capsys.readouterr().err
    # the progress line, as a log shows it; the two cells run side by side, so either may finish first
    assert re.search(r"\[[12]/2\] boom class 0 seed 0: FAILED", stderr), stderr
    assert "  boom class 0 seed 0: RuntimeError: boom on" in stderr  # the error's list of failed cells
    assert "user_detector.Boom class" not in stderr
    exported = {r["model"]: r for r in csv.DictReader((out / "results.csv").open())}
    assert sorted(exported) == ["boom", "iforest"]
    assert exported["boom"]["settings"] == "tests.benchmark.user_detector.Boom({})"  # what it ran with, failed too
    summary = (out / "summary.md").read_text()
    assert "- boom, normal class 0, seed 0: RuntimeError: boom on" in summary
    assert "- boom: `tests.benchmark.user_detector.Boom({})`" in summary.split("## Settings")[1]  # a failed model too


def row(normal_class: int, seed: int, model: str, value: float, error: str = "") -> Row:
    return Row("digits", normal_class, seed, model, "paper", "auroc", value, value, 1.0, 0.1, 100.0, "s", "",
               error=error)


def test_a_row_where_a_model_failed_has_no_best():
    rows = [row(0, 0, "toll", 0.9), row(0, 0, "iforest", float("nan"), "RuntimeError: x"), row(1, 0, "toll", 0.7),
            row(1, 0, "iforest", 0.8), row(1, 1, "toll", 0.7), row(1, 1, "iforest", float("nan"), "RuntimeError: x")]
    lines = summary_table(rows).splitlines()
    assert lines[2] == "| 0 | 90.0 ± 0.0 | failed |"
    assert lines[3] == "| 1 | 70.0 ± 0.0 | 80.0 ± 0.0 (1 seed(s) failed) |"
    assert lines[4] == "| Average | 80.0 | failed |"


def digits_rows(output: Path) -> list[Row]:
    return run_benchmark("digits", ["iforest", "ecod"], output, classes=[0], seeds=[0, 1], budget=TINY,
                         progress=False)


def test_damaged_lines_are_moved_aside_once_and_named_for_what_they_are(tmp_path):
    full = digits_rows(tmp_path)
    store = tmp_path / "results.jsonl"
    lines = store.read_bytes().splitlines(keepends=True)
    foreign = b'{"note": "my own line"}\n'
    store.write_bytes(lines[0] + foreign + b"".join(lines[1:]) + lines[0][:40])  # a foreign line, a cut one
    with pytest.warns(InputWarning, match=r"line 2: not a record of anomalib-toll; line 6: cut by a kill"):
        assert ResultStore(tmp_path).rows() == full
    assert (tmp_path / "results.jsonl.damaged").read_bytes() == foreign + lines[0][:40] + b"\n"  # kept
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once: the next run has nothing to report
        assert ResultStore(tmp_path).rows() == full
        assert digits_rows(tmp_path) == full


def test_every_result_file_gets_the_same_mode(tmp_path):
    digits_rows(tmp_path)
    names = ("results.jsonl", "results.csv", "results.json")
    modes = {name: (tmp_path / name).stat().st_mode & 0o777 for name in names}
    assert len(set(modes.values())) == 1, modes


def grid_flags(out: Path) -> list[str]:
    """A grid of 6 Toll cells, each long enough (~1 s) for a run to be stopped between its first and last."""
    return ["--dataset", "digits", "--classes", "[0, 1, 2]", "--models", "toll", "--seeds", "2", "--iterations", "40",
            "--batch_size", "32", "--eval_every", "20", "--output", str(out)]


def benchmark_cli(out: Path) -> list[str]:
    return [sys.executable, "-m", "anomalib_toll.benchmark", *grid_flags(out), "--workers", "2"]


def benchmark_here(out: Path) -> None:
    """The same grid in this process, serially on one thread as each worker runs (so the values agree)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        main(["benchmark", *grid_flags(out), "--workers", "1"])
    finally:
        torch.set_num_threads(threads)


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux ``/proc``)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def alive(pid: int) -> bool:
    """Running (a zombie waiting for a parent that does not reap it is not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def start_and_wait_for_a_cell(args: list[str], out: Path) -> tuple[subprocess.Popen, list[int]]:
    """Start a parallel grid; return once a cell is stored (the workers are busy), with its processes."""
    proc = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
        # as from a terminal: a test run started in the background (`cmd &`) inherits an ignored SIGINT
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509 - no threads in the child yet
    )
    deadline = time.monotonic() + 600  # generous: a loaded machine is slow, not wrong
    store = out / "results.jsonl"
    while time.monotonic() < deadline and proc.poll() is None and not (store.exists() and store.read_bytes()):
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be stopped mid-grid"
    return proc, children(proc.pid)


def wait_gone(pids: list[int], seconds: float = 60.0) -> list[int]:
    deadline = time.monotonic() + seconds  # generous; a worker checks twice a second
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.1)
    return [p for p in pids if alive(p)]


@pytest.mark.skipif(not LINUX, reason="reads processes from /proc")
def test_workers_of_a_killed_run_exit_and_the_rerun_gives_the_same_values(tmp_path):
    out = tmp_path / "killed"
    proc, spawned = start_and_wait_for_a_cell(benchmark_cli(out), out)
    assert len(spawned) >= 2, "two workers (and the resource tracker) should be running"
    os.kill(proc.pid, signal.SIGKILL)  # the main process only: its workers must notice by themselves
    proc.wait()
    left = wait_gone(spawned)
    for pid in left:  # do not leave them to the next test
        os.kill(pid, signal.SIGKILL)
    assert not left, f"processes of the killed run still alive: {left}"
    said = proc.stderr.read()  # the resource tracker's too: it has ended with the workers
    assert "leaked" not in said, said  # "resource_tracker: There appear to be 5 leaked semaphore objects"

    before = len(ResultStore(out).rows())
    benchmark_here(out)  # the rerun: resumes from what the killed run stored
    fresh = tmp_path / "fresh"
    benchmark_here(fresh)
    values = lambda folder: sorted((r.normal_class, r.seed, r.value) for r in ResultStore(folder).rows())  # noqa: E731
    assert values(out) == values(fresh)
    assert len(values(out)) == 6
    assert 1 <= before < 6  # the rerun kept what the killed run had finished


@pytest.mark.skipif(not LINUX, reason="reads processes from /proc")
def test_ctrl_c_ends_in_one_line_saying_what_was_kept_and_how_to_resume(tmp_path):
    out = tmp_path / "out"
    proc, spawned = start_and_wait_for_a_cell(benchmark_cli(out), out)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends: to every process of the group
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("anomalib-toll: interrupted: ")
    assert "finished cell(s) kept in" in last
    assert "run the same command again to resume" in last
    assert not wait_gone(spawned)
