# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""How large is FITYMI+Toll's collapse term next to the cross-entropy? (``measure``)."""
