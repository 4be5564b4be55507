# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Research studies: one folder per question, each behind numbers in ``docs/results.md``.

A study answers a question about the method once; a benchmark in ``bench/`` is what a
user runs to measure their own setup. Each folder's ``README.md`` states the question, the
command and where the result is. Run a study as a module from the repository root, e.g.
``python -m studies.beta_without_labels.policies results/beta_study``.
"""
