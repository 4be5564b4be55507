"""Smoke tests of the benchmarks in ``bench/``: each runs its ``main`` in-process on tiny inputs."""
