# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""One colour per model name, the same in every plot of every run.

A colour follows from the name alone, never from the order of ``--models``: two runs with
different model lists draw a model alike, so their figures can be read side by side. The
project's models are pinned to colours of their own (they never share one); any other
name is hashed (CRC-32, the same in every process, unlike Python's ``hash``) into a
palette of further colours, so two such names may share a colour: the labels tell them apart.
No grey: the histograms draw the normal scores grey.

Example:
    >>> model_colors(["knn", "toll"]) == {"knn": PINNED["knn"], "toll": PINNED["toll"]}
    True
    >>> model_colors(["my_model"])["my_model"] == model_colors(["toll", "my_model"])["my_model"]
    True
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

PINNED: dict[str, str] = {  # the models this project runs (runners' registry, PyOD's and anomalib's names)
    "toll": "#1f77b4",  # blue
    "toll_auto": "#17becf",  # cyan
    "toll_beta0": "#9467bd",  # purple
    "knn": "#ff7f0e",  # orange
    "iforest": "#2ca02c",  # green
    "ocsvm": "#d62728",  # red
    "ecod": "#8c564b",  # brown
    "autoencoder": "#e377c2",  # pink
    "kde": "#bcbd22",  # olive
    "vae": "#393b79",  # navy
    "deepsvdd": "#637939",  # moss
    "fitymi": "#8c6d31",  # ochre
    "fitymi_toll": "#843c39",  # maroon
    "padim": "#7b4173",  # plum
    "patchcore": "#e7ba52",  # gold
    "ganomaly": "#e6550d",  # rust
    "efficient_ad": "#31a354",  # leaf
    "lof": "#756bb1",  # lavender
}
OTHERS: tuple[str, ...] = (  # for any other name; none of them pinned above, none grey
    "#6b6ecf", "#b5cf6b", "#3182bd", "#d6616b", "#ce6dbd", "#9c9ede", "#fd8d3c", "#74c476", "#9e9ac8", "#de9ed6",
)


def model_color(model: str) -> str:
    """The colour of ``model``: its pinned one, else one of :data:`OTHERS` chosen by a stable hash of the name."""
    return PINNED.get(model) or OTHERS[zlib.crc32(model.encode()) % len(OTHERS)]


def model_colors(models: Sequence[str]) -> dict[str, str]:
    """Each model's colour (:func:`model_color`), for the plots of a run."""
    return {model: model_color(model) for model in models}
