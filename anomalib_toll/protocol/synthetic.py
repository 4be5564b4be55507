# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Synthetic validation anomalies, made only from held-out normal rows: label-free model selection.

A user who brings their own data has no anomaly labels to select a checkpoint or a β
with. Internal validation on synthetic anomalies is the research literature's answer:
corrupt held-out normal rows in ways that break what is normal about them, and keep the
checkpoint (or β) that best tells the normal rows from their corrupted copies.

* Images (``(N, C, H, W)``): equal shares of six corruptions. Three break a class's
  structure but keep its pixel statistics — a rotation by 90°, 180° or 270°; a vertical
  flip; a shuffle of the image's 4 × 4 patches. Three make an image *simpler* than a
  normal one — a third of each side erased to the mean; strokes thinned (a 3 × 3
  minimum); contrast halved towards the darkest value. A plain autoencoder reconstructs
  simpler inputs well, so only the second three reward the collapse term: without them
  the criterion never prefers β > 0 where the collapse helps (MNIST, docs/results.md).
  The Perlin and CutPaste fake sources of FITYMI live with the anomalib models (they need
  anomalib or operate on torch batches) and are not used here, so the protocol layer
  stays free of them.
* Tables (``(N, D)``): ADBench's three synthetic anomaly types in equal shares — global
  (uniform over each feature's range, widened by 10 %), local (the normals' Gaussian
  with its covariance inflated 5×), dependency (each feature resampled independently
  from its own marginal, which breaks the correlations between features).

Example:
    >>> import numpy as np
    >>> normal = np.random.default_rng(0).normal(size=(90, 1, 8, 8)).astype(np.float32)
    >>> synthetic_anomalies(normal, seed=0).shape
    (90, 1, 8, 8)
"""

from __future__ import annotations

import numpy as np

LOCAL_INFLATION = 5.0  # ADBench's local anomalies: covariance scaled by alpha = 5
GLOBAL_MARGIN = 0.1
PATCHES = 4


def _rotate(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    square = images.shape[-1] == images.shape[-2]
    turns = rng.integers(1, 4, size=len(images)) if square else np.full(len(images), 2)  # 90° keeps only squares
    return np.stack([np.rot90(image, k, axes=(-2, -1)) for image, k in zip(images, turns, strict=True)])


def _flip(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    del rng  # deterministic
    return images[..., ::-1, :]


def _shuffle_patches(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n, c, h, w = images.shape
    ph, pw = h // PATCHES, w // PATCHES
    out = images.copy()
    grid = images[..., : ph * PATCHES, : pw * PATCHES].reshape(n, c, PATCHES, ph, PATCHES, pw)
    tiles = grid.transpose(0, 2, 4, 1, 3, 5).reshape(n, PATCHES * PATCHES, c, ph, pw)
    for i in range(n):
        tiles[i] = tiles[i][rng.permutation(PATCHES * PATCHES)]
    shuffled = tiles.reshape(n, PATCHES, PATCHES, c, ph, pw).transpose(0, 3, 1, 4, 2, 5)
    shuffled = shuffled.reshape(n, c, ph * PATCHES, pw * PATCHES)
    out[..., : ph * PATCHES, : pw * PATCHES] = shuffled
    return out


def _erase(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n, _, h, w = images.shape
    out = images.copy()
    tops, lefts = rng.integers(0, h - h // 3 + 1, size=n), rng.integers(0, w - w // 3 + 1, size=n)
    for image, top, left in zip(out, tops, lefts, strict=True):
        image[:, top : top + h // 3, left : left + w // 3] = images.mean()
    return out


def _thin(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    del rng  # deterministic
    padded = np.pad(images, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="edge")
    return np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(-2, -1)).min(axis=(-2, -1))


def _fade(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    del rng  # deterministic
    return 0.5 * images + 0.5 * images.min()


IMAGE_CORRUPTIONS = (_rotate, _flip, _shuffle_patches, _erase, _thin, _fade)


def _global(rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    low, high = rows.min(axis=0), rows.max(axis=0)
    margin = GLOBAL_MARGIN * (high - low)
    return rng.uniform(low - margin, high + margin, size=rows.shape)


def _local(rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    centred = rows - rows.mean(axis=0)
    # Sample N(mean, alpha·cov) through the rows themselves: alpha·cov = A Aᵀ with A = centred ᵀ/√(n−1),
    # exact even where the covariance is singular (more features than rows).
    weights = rng.normal(size=(len(rows), len(rows))) / np.sqrt(max(len(rows) - 1, 1))
    return rows.mean(axis=0) + np.sqrt(LOCAL_INFLATION) * weights @ centred


def _dependency(rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return np.stack([rng.choice(column, size=len(rows)) for column in rows.T], axis=1)


TABLE_CORRUPTIONS = (_global, _local, _dependency)


def synthetic_anomalies(normal: np.ndarray, seed: int = 0) -> np.ndarray:
    """One synthetic anomaly per normal row (same shape and dtype), equal shares of each corruption.

    Args:
        normal: Held-out normal rows: ``(N, D)`` tables or ``(N, C, H, W)`` images, preprocessed.
        seed: Seed of the corruptions.

    Raises:
        ValueError: fewer than two normal rows (too few to make synthetic anomalies from).
    """
    if len(normal) < 2:
        msg = f"synthetic anomalies need at least 2 held-out normal rows, got {len(normal)}."
        raise ValueError(msg)
    rng = np.random.default_rng(seed)
    corruptions = IMAGE_CORRUPTIONS if normal.ndim == 4 else TABLE_CORRUPTIONS
    order = rng.permutation(len(normal))
    out = np.empty_like(normal)
    for i, corrupt in enumerate(corruptions):
        rows = order[i :: len(corruptions)]
        if len(rows) == 0:  # fewer normal rows than corruptions: the later kinds get none
            continue
        source = normal[rows] if normal.ndim == 4 else normal  # tables: fit on every normal row
        made = corrupt(source, rng)
        out[rows] = made if normal.ndim == 4 else made[: len(rows)]
    return out
