"""Tests of the PyOD surface, ``anomalib_toll.detector``."""
