# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Can Toll's β (and its checkpoint) be chosen without labels? The study behind ``beta="auto"``.

``tables`` and ``images`` train at fixed β and store each row's score parts, ``policies``
computes every candidate policy offline from them (the default through the package's
:func:`~anomalib_toll.protocol.beta.choose_beta`), ``baselines`` gives KNN and IForest on
the same splits, ``label_free`` runs ``beta="auto"`` end to end through the benchmark.
"""
