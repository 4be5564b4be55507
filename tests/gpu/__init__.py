"""Tests that need a CUDA GPU (``pytest -m gpu tests/gpu``); they skip, with a reason, without one."""
