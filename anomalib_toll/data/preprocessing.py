# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""The paper's image preprocessing (Sec. 4.1, as in the authors' code).

* MNIST / Fashion-MNIST: pixels/255 standardised with the data sets' mean and std.
* CIFAR-10 / CIFAR-100: global contrast normalisation with the L1 norm, then min-max
  scaling with the normal class's constants — the Deep SVDD tables the Toll authors
  reuse (the min and max of the GCN values over that class's training images).

Each data set's choice is one entry of :mod:`anomalib_toll.data.registry`.

Example:
    >>> import numpy as np
    >>> mnist = standardized(*MNIST_MEAN_STD)(0, np.zeros((0, 28, 28), np.uint8))
    >>> mnist(np.zeros((2, 28, 28), np.uint8)).shape
    (2, 1, 28, 28)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# (mean, std) of pixels/255 over the training set.
MNIST_MEAN_STD = (0.1307, 0.3081)
FASHION_MNIST_MEAN_STD = (0.2860, 0.3530)
DIGITS_MEAN_STD = (0.3053, 0.3759)  # scikit-learn's digits scaled to 0..255, all 1797 images

# Per-class (min, max) of the L1-GCN values over the class's training images.
MIN_MAX: dict[str, tuple[tuple[float, float], ...]] = {
    "cifar10": (
        (-28.94083453598571, 13.802961825439636), (-6.681770233365245, 9.158067708230273),
        (-34.924463588638204, 14.419298165027628), (-10.599172931391799, 11.093187820377565),
        (-11.945022995801637, 10.628045447867583), (-9.691969487694928, 8.948326776180823),
        (-9.174940012342555, 13.847014686472365), (-6.876682005899029, 12.282371383343161),
        (-15.603507135507172, 15.2464923804279), (-6.132882973622672, 8.046098172351265),
    ),
    "cifar100": (
        (-14.475381165846034, 12.727414786250481), (-10.135715713633676, 12.160161817681036),
        (-10.161284974396713, 14.850489500748308), (-19.3408532196652, 14.995088210139775),
        (-9.367549800181296, 12.205577403284343), (-13.702793265179801, 14.258679008335188),
        (-14.170852844849986, 10.851977970193277), (-15.71542712113897, 9.566342204557307),
        (-7.860766655986478, 8.843353910552612), (-5.972078245203766, 10.153849282936006),
        (-9.781021309203902, 8.556866284005276), (-7.734030335714939, 10.450245213389953),
        (-10.214244398024642, 9.35366007307547), (-18.856031884412687, 21.160188606242144),
        (-8.212590935820346, 10.639574374656794), (-12.311221417322837, 10.493695809835845),
        (-7.833277239891915, 10.35800168761534), (-6.648282524262063, 11.645584049487276),
        (-7.180139184279749, 11.97570811709053), (-9.808531530992028, 10.469580417662428),
    ),
    # Deep SVDD's MNIST table (GCN-L1 + min-max); Toll standardises MNIST instead, so this
    # one only cross-checks class_min_max against a published table.
    "mnist": (
        (-0.8826567065619495, 9.001545489292527), (-0.6661464580883915, 20.108062262467364),
        (-0.7820454743183202, 11.665100841080346), (-0.7645772083211267, 12.895051191467457),
        (-0.7253923114302238, 12.683235701611533), (-0.7698501867861425, 13.103278415430502),
        (-0.778418217980696, 10.457837397569108), (-0.7129780970522351, 12.057777597673047),
        (-0.8280402650205075, 10.581538445782988), (-0.7369959242164307, 10.697039838804978),
    ),
}
Transform = Callable[[np.ndarray], np.ndarray]
Preprocessing = Callable[[int, np.ndarray], Transform]
"""Given the normal class and its training rows, the transform every split of a cell gets."""


def _gcn_float64(x: np.ndarray) -> np.ndarray:
    flat = x.reshape(len(x), -1).astype(np.float64)
    flat -= flat.mean(axis=1, keepdims=True)
    flat /= np.abs(flat).mean(axis=1, keepdims=True)
    return flat


def global_contrast_normalization(x: np.ndarray) -> np.ndarray:
    """Per image: subtract its mean, divide by its mean absolute deviation (L1 GCN).

    Works on any ``(N, ...)`` array; scale-free, so uint8 or [0, 1] inputs agree.
    """
    return _gcn_float64(x).reshape(x.shape).astype(np.float32)


def class_min_max(x_of_class: np.ndarray, chunk: int = 4096) -> tuple[float, float]:
    """(min, max) of the GCN values of one class's images: its min-max constants."""
    parts = [_gcn_float64(x_of_class[i : i + chunk]) for i in range(0, len(x_of_class), chunk)]
    return min(float(p.min()) for p in parts), max(float(p.max()) for p in parts)


def to_nchw(x: np.ndarray) -> np.ndarray:
    """(N, H, W) → (N, 1, H, W); (N, H, W, C) → (N, C, H, W)."""
    return x[:, None] if x.ndim == 3 else x.transpose(0, 3, 1, 2)


def to_pixels(images: np.ndarray) -> np.ndarray:
    """uint8 ``(N, H, W)`` or ``(N, H, W, C)`` → float32 ``(N, C, H, W)`` in [0, 1].

    The range pretrained backbones expect.
    """
    return np.ascontiguousarray(to_nchw(np.asarray(images)), dtype=np.float32) / np.float32(255.0)


def standardized(mean: float, std: float) -> Preprocessing:
    """pixels/255 standardised with a data set's published mean and std (MNIST, Fashion-MNIST)."""

    def fitted(normal_class: int, x_fit: np.ndarray) -> Transform:
        del normal_class, x_fit  # fixed constants
        return lambda x: np.ascontiguousarray(to_nchw((x.astype(np.float32) / 255.0 - mean) / std), dtype=np.float32)

    return fitted


def gcn_min_max(table: tuple[tuple[float, float], ...]) -> Preprocessing:
    """L1 GCN, then min-max scaling with the normal class's constants from ``table`` (CIFAR)."""

    def fitted(normal_class: int, x_fit: np.ndarray) -> Transform:
        del x_fit  # the constants are published per class
        if not 0 <= normal_class < len(table):
            msg = f"normal_class must be in 0..{len(table) - 1}, got {normal_class}."
            raise ValueError(msg)
        return min_max_scaled(*table[normal_class])

    return fitted


def min_max_scaled(lo: float, hi: float) -> Transform:
    """L1 GCN then ``(x - lo) / (hi - lo)``: constants of a class without a table entry (:func:`class_min_max`)."""
    return lambda x: np.ascontiguousarray(
        to_nchw((global_contrast_normalization(x) - lo) / (hi - lo)), dtype=np.float32,
    )


def channel_standardized(normal_class: int, x_fit: np.ndarray) -> Transform:
    """Per-channel standardisation with the normal training images' statistics (a user's images)."""
    del normal_class  # one normal set
    fit = to_nchw(x_fit.astype(np.float32) / 255.0)
    mean = fit.mean(axis=(0, 2, 3), keepdims=True)
    std = np.maximum(fit.std(axis=(0, 2, 3), keepdims=True), 1e-6)
    return lambda x: np.ascontiguousarray((to_nchw(x.astype(np.float32) / 255.0) - mean) / std, dtype=np.float32)


def row_standardized(normal_class: int, x_fit: np.ndarray) -> Transform:
    """Each column standardised with the training rows' mean and std (a constant column is only centred).

    Tables of any scale (ODDS, ADBench files); every model of the grid gets these rows.
    """
    del normal_class  # one normal set per table
    mean = x_fit.mean(axis=0)
    std = x_fit.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return lambda x: ((np.asarray(x, dtype=np.float64) - mean) / std).astype(np.float32)


def raw_float32(normal_class: int, x_fit: np.ndarray) -> Transform:
    """Rows as they are, in float32 (Arrhythmia: the authors feed the raw ODDS features)."""
    del normal_class, x_fit
    return lambda x: np.asarray(x, dtype=np.float32)
