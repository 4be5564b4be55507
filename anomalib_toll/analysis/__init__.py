# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""The paper's analysis of learning dynamics (Sec. 3.3), made numerical.

Example:
    >>> from anomalib_toll.analysis import theorem1_closed_form
"""

from anomalib_toll.analysis.linear_dynamics import (
    figure2_score_field,
    gradient_descent_autoencoder,
    gradient_descent_encoder,
    theorem1_closed_form,
    theorem2_rhs,
    theorem2_solve,
    train_linear_autoencoder,
)

__all__ = [
    "figure2_score_field",
    "gradient_descent_autoencoder",
    "gradient_descent_encoder",
    "theorem1_closed_form",
    "theorem2_rhs",
    "theorem2_solve",
    "train_linear_autoencoder",
]
