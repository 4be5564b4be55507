"""What the benchmarks print: the last ``RESULT`` line, and checks of the ratios in it."""

import math


def result_line(out: str) -> dict[str, str]:
    """``key=value`` pairs of the last ``RESULT`` line of ``out`` (a benchmark's machine-readable summary)."""
    lines = [line for line in out.splitlines() if line.startswith("RESULT ")]
    assert lines, f"no RESULT line in:\n{out}"
    return dict(pair.split("=", 1) for pair in lines[-1].split()[1:])


def assert_positive_finite(values: dict[str, float]) -> None:
    """Every value is a finite number above zero (a rate, or a ratio of two times)."""
    for key, value in values.items():
        assert math.isfinite(value), f"{key}={value}"
        assert value > 0, f"{key}={value}"
