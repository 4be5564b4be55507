# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""The package's warning about its input; no dependency, so every layer (and a cheap import) can raise it.

Example:
    >>> issubclass(InputWarning, UserWarning)
    True
"""


class InputWarning(UserWarning):
    """An input that was accepted but looks wrong or was partly skipped (the message says what and why).

    The command line prints these as one ``anomalib-toll: warning: ...`` line; worker
    processes, which read the same input again, leave them to the main process.
    """
