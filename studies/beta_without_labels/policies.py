# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""β without labels, step 2: every candidate policy, computed from the stored score parts.

Reads the folders written by :mod:`studies.beta_without_labels.tables` and prints, per
family and protocol, each policy's mean test AUROC, its average rank against fixed β = 0
and the default β, and the per-table numbers. Policies only see the held-out training
rows and synthetic anomalies made from them; the test labels are used to report, never to
choose (the ``oracle`` rows choose with them and are marked so).

The default policy (:data:`DEFAULT_POLICY`) is the package's rule itself,
:func:`~anomalib_toll.protocol.beta.choose_beta` on the scores ``beta="auto"`` compares;
every other ``select ...`` row is an alternative (:func:`best_auroc_beta`: the highest
synthetic AUROC, without the package's check that the gain beats its uncertainty).

    python -m studies.beta_without_labels.policies results/beta_study
"""

from __future__ import annotations

import argparse
import re
from collections import defaultdict
from pathlib import Path

import numpy as np
from scipy.stats import rankdata
from sklearn.metrics import roc_auc_score

from anomalib_toll.protocol.beta import BETA_GRID, choose_beta

DEFAULT_POLICY = f"POLICY beta=auto ({','.join(f'{b:g}' for b in BETA_GRID)})"
"""The row of the package's default, ``beta="auto"`` on ``BETA_GRID``: ``POLICY beta=auto (0,1,10,100,1000)``."""

NAME = re.compile(r"(?P<table>.+)__(?P<protocol>clean|adbench)__s(?P<seed>\d+)__b(?P<beta>[\d.e+]+)\.npz")


def load(folder: Path) -> dict[tuple[str, str, int], dict[float, dict[str, np.ndarray]]]:
    """``(table, protocol, seed) -> beta -> stored arrays``."""
    runs: dict[tuple[str, str, int], dict[float, dict[str, np.ndarray]]] = defaultdict(dict)
    for file in sorted(folder.glob("*.npz")):
        match = NAME.fullmatch(file.name)
        if match:
            key = (match["table"], match["protocol"], int(match["seed"]))
            runs[key][float(match["beta"])] = dict(np.load(file))
    return runs


def score(parts: np.ndarray, beta: float) -> np.ndarray:
    """The Toll score from its parts."""
    return parts[:, 0] + beta * parts[:, 1]


def auc(normal: np.ndarray, anomalous: np.ndarray) -> float:
    """AUROC of two score sets (anomalous high)."""
    return float(roc_auc_score(np.r_[np.zeros(len(normal)), np.ones(len(anomalous))], np.r_[normal, anomalous]))


def calibrated(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Scores as the fraction of held-out scores below them (label-free, comparable across networks)."""
    return np.searchsorted(np.sort(reference), values, side="right") / max(len(reference), 1)


def robust(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Scores centred on the held-out median and divided by their interquartile range."""
    q25, q50, q75 = np.percentile(reference, [25, 50, 75])
    return (values - q50) / max(q75 - q25, 1e-12)


def highest(value: dict[float, float]) -> float:
    """The alternative rule: the β of highest value, ties (to 6 decimals) to the smaller β; no uncertainty check."""
    return max(value, key=lambda b: (round(value[b], 6), -b))


def best_auroc_beta(nets: dict[float, dict[str, np.ndarray]], *kinds: str) -> float:
    """Alternative: the β whose held-out rows best stand out from synthetic ``kinds`` (mean AUROC, :func:`highest`)."""
    return highest({
        b: float(np.mean([auc(score(d["held"], b), score(d[f"syn_{kind}"], b)) for kind in kinds]))
        for b, d in nets.items()
    })


def package_beta(nets: dict[float, dict[str, np.ndarray]], prefix: str = "") -> float:
    """The package's choice: :func:`~anomalib_toll.protocol.beta.choose_beta` on each β's synthetic validation scores.

    Args:
        nets: β -> stored arrays holding ``held`` and ``syn_package`` (the held-out rows
            and exactly the anomalies ``beta="auto"`` makes from them).
        prefix: The checkpoint's key prefix in image dumps (``"synthetic__"``); none for tables.
    """
    return choose_beta({
        b: np.concatenate([score(d[f"{prefix}held"], b), score(d[f"{prefix}syn_package"], b)])
        for b, d in nets.items()
    }).beta


def mass_volume(nets: dict[float, dict[str, np.ndarray]]) -> float:
    """The β of smallest mass-volume area (Goix 2016): uniform points in the box that score as normal.

    For masses a in [0.9, 0.99] the level set {s <= t_a} holding a of the held-out rows is
    measured by the share of uniform points (``syn_global``: the held-out rows' box,
    widened 10 %) inside it; the smaller the volume at equal mass, the better.
    """
    area = {}
    for b, d in nets.items():
        held, uniform = score(d["held"], b), score(d["syn_global"], b)
        levels = np.quantile(held, np.linspace(0.9, 0.99, 10))
        area[b] = float(np.mean([(uniform <= t).mean() for t in levels]))
    return min(area, key=lambda b: (round(area[b], 6), b))


def gap(d: dict[str, np.ndarray], b: float, q: float = 50) -> float:
    """Generalisation gap: held-out over trained rows' score at quantile ``q`` (1 = no memorisation)."""
    return float(np.percentile(score(d["held"], b), q) / max(np.percentile(score(d["train"], b), q), 1e-12))


def smallest_closing_gap(nets: dict[float, dict[str, np.ndarray]], limit: float, q: float = 50) -> float:
    """The smallest β whose generalisation gap is at most ``limit`` (else the β of smallest gap)."""
    gaps = {b: gap(nets[b], b, q) for b in sorted(nets)}
    return next((b for b, g in gaps.items() if g <= limit), min(gaps, key=lambda b: gaps[b]))


def policies(nets: dict[float, dict[str, np.ndarray]], default: float) -> dict[str, float]:
    """Test AUROC of every policy on one (table, protocol, seed)."""
    y = next(iter(nets.values()))["y_test"]
    test = {b: auc(score(d["test"], b)[y == 0], score(d["test"], b)[y == 1]) for b, d in nets.items()}
    out = {f"fixed {b:g}": v for b, v in test.items()}
    out["oracle 0|default (labels)"] = max(test[0.0], test[default])
    out["oracle grid (labels)"] = max(test.values())
    # syn_package is the default's own draw; the alternatives keep the kinds they were published with
    kinds = [k[4:] for k in next(iter(nets.values())) if k.startswith("syn_") and k != "syn_package"]
    for kind in kinds:
        out[f"select {kind}"] = test[best_auroc_beta(nets, kind)]
    out["select all kinds"] = test[best_auroc_beta(nets, *kinds)]
    out["select adbench_mix+scaled+local_1"] = test[best_auroc_beta(nets, "adbench_mix", "scaled_1.5", "local_1")]
    pair = {b: nets[b] for b in (0.0, default)}
    out["select adbench_mix on 0,default"] = test[best_auroc_beta(pair, "adbench_mix")]
    out["select all kinds on 0,default"] = test[best_auroc_beta(pair, *kinds)]
    out["select adbench x4 draws"] = test[best_auroc_beta(nets, "adbench_mix", "global", "local5", "dependency")]
    for grid_name, grid in (("dense", nets), ("0,1,10,100", {b: nets[b] for b in (0.0, 1.0, 10.0, 100.0)})):
        for limit in (1.05, 1.1, 1.15):
            out[f"gap<={limit:g} {grid_name}"] = test[smallest_closing_gap(grid, limit)]
        value = {b: auc(score(d["held"], b), score(d["syn_adbench_mix"], b)) for b, d in grid.items()}
        for tol in (0.01, 0.02):
            near = [b for b in grid if value[b] >= max(value.values()) - tol]
            out[f"mix within {tol:g}, smallest gap {grid_name}"] = test[min(near, key=lambda b: gap(grid[b], b))]
    package = {b: nets[b] for b in (0.0, 1.0, 10.0, 100.0) if b in nets}
    out["select adbench_mix on 0,1,10,100"] = test[best_auroc_beta(package, "adbench_mix")]
    if set(BETA_GRID) <= set(nets):
        out |= default_grid_policies({b: nets[b] for b in BETA_GRID}, test)
    value = {b: auc(score(d["held"], b), score(d["syn_adbench_mix"], b)) for b, d in nets.items()}
    top2 = sorted(nets, key=lambda b: (-round(value[b], 6), b))[:2]
    total = np.sum([robust(score(nets[b]["test"], b), score(nets[b]["held"], b)) for b in top2], axis=0)
    out["ensemble top-2 by adbench_mix iqr"] = auc(total[y == 0], total[y == 1])
    chosen = best_auroc_beta(nets, "adbench_mix")
    total = np.sum([robust(score(nets[b]["test"], b), score(nets[b]["held"], b)) for b in {0.0, chosen}], axis=0)
    out["ensemble 0 + selected iqr"] = auc(total[y == 0], total[y == 1])
    out["select mass-volume (Goix)"] = test[mass_volume(nets)]
    for subset_name, subset in (("0,default", [0.0, default]), ("grid", sorted(nets))):
        for norm_name, norm in (("cdf", calibrated), ("iqr", robust)):
            total = np.sum([norm(score(nets[b]["test"], b), score(nets[b]["held"], b)) for b in subset], axis=0)
            out[f"ensemble {subset_name} {norm_name}"] = auc(total[y == 0], total[y == 1])
    base = nets[0.0]["held"]
    ratio = float(np.median(base[:, 0]) / max(np.median(base[:, 1]), 1e-12))  # rec / ‖z‖ of the plain AE
    for c in (0.03, 0.1, 0.3, 1.0):
        wanted = c * ratio
        nearest = min(nets, key=lambda b: abs(np.log((b or 1e-3) / wanted)))
        out[f"scale-free c={c:g}"] = test[nearest]
    for b, d in nets.items():
        if b >= 1000.0:
            continue
        # scored with both parts weighted by their held-out medians
        med = np.median(d["held"], axis=0)
        s = d["test"][:, 0] / max(med[0], 1e-12) + d["test"][:, 1] / max(med[1], 1e-12)
        out[f"balanced score, trained {b:g}"] = auc(s[y == 0], s[y == 1])
    return out


def default_grid_policies(grid: dict[float, dict[str, np.ndarray]], test: dict[float, float]) -> dict[str, float]:
    """Policies on the package's grid: its default (:data:`DEFAULT_POLICY`) and alternatives beside it."""
    out = {}
    if "syn_package" in grid[0.0]:  # dumps from before syn_package was stored have no default row
        out[DEFAULT_POLICY] = test[package_beta(grid)]
    out["select adbench_mix on 0,1,10,100,1000 (the rule before choose_beta)"] = test[
        best_auroc_beta(grid, "adbench_mix")
    ]
    if "syn_clustered" in grid[0.0]:
        out["select adbench_mix+clustered (0,1,10,100,1000)"] = test[best_auroc_beta(grid, "adbench_mix", "clustered")]
    return out


def main(argv: list[str] | None = None) -> None:
    """Print the tables.

    Args:
        argv: The command line's arguments (default: ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", type=Path, nargs="*")
    parser.add_argument("--default", type=float, default=10.0, help="the default fixed β to compare with")
    parser.add_argument("--images", type=Path, default=None, help="a folder of studies.beta_without_labels.images")
    parser.add_argument("--show", nargs="*", default=[], help="policies to list per table")
    args = parser.parse_args(argv)
    if args.images is not None:
        image_report(args.images)
        image_report(args.images, checkpoint="paper")
    runs: dict = {}
    for folder in args.folders:
        runs.update(load(folder))
    groups: dict[tuple[str, str], dict[str, dict[str, list[float]]]] = defaultdict(lambda: defaultdict(dict))
    for (table, protocol, _seed), nets in sorted(runs.items()):
        if 0.0 not in nets or args.default not in nets:
            continue
        family = "vit" if table.startswith("MVTec") else "classical"
        for name, value in policies(nets, args.default).items():
            groups[family, protocol][name].setdefault(table, []).append(value)
    for (family, protocol), by_policy in groups.items():
        names = list(by_policy)
        tables = sorted(by_policy[names[0]])
        means = np.array([[100 * np.mean(by_policy[n].get(t, [np.nan])) for t in tables] for n in names])
        base = [names.index("fixed 0"), names.index(f"fixed {args.default:g}")]
        print(f"\n## {family}, protocol {protocol}: {len(tables)} tables, seeds {len(by_policy[names[0]][tables[0]])}")
        print("| policy | mean AUROC | avg rank vs β=0, β=default | wins vs β=0 | wins vs default |")
        print("|---|---|---|---|---|")
        for i, name in enumerate(names):
            trio = means[[base[0], base[1], i]] if i not in base else means[base]
            ranks = np.mean([rankdata(-trio[:, j])[-1] for j in range(len(tables))])
            w0 = int(np.sum(means[i] > means[base[0]] + 0.05))
            wd = int(np.sum(means[i] > means[base[1]] + 0.05))
            print(f"| {name} | {np.nanmean(means[i]):.2f} | {ranks:.2f} | {w0}/{len(tables)} | {wd}/{len(tables)} |")
        for name in args.show:
            if name in names:
                values = means[names.index(name)]
                row = ", ".join(f"{t.split('_', 1)[-1]} {v:.1f}" for t, v in zip(tables, values, strict=True))
                print(f"- {name}: {row}")
    for protocol in sorted({protocol for _family, protocol in groups}):
        print(leave_one_out({f: g for (f, p), g in groups.items() if p == protocol}, protocol))


def leave_one_out(by_family: dict[str, dict[str, dict[str, list[float]]]], protocol: str) -> str:
    """Would tuning the rule on these files generalise? Scores each data set with another set's winner.

    Each data set gets the label-free policy that is best on the mean of all the *other* data
    sets (every family pooled); compared with ``beta="auto"`` on the same data sets.
    """
    means: dict[str, dict[tuple[str, str], float]] = {}
    for family, by_policy in by_family.items():
        for name, per_table in by_policy.items():
            if "oracle" not in name:
                means.setdefault(name, {}).update({(family, t): 100 * float(np.mean(v)) for t, v in per_table.items()})
    names = list(means)
    keys = sorted(set.intersection(*(set(m) for m in means.values())))
    values = np.array([[means[n][k] for k in keys] for n in names])
    chosen = [int(np.argmax(np.delete(values, i, axis=1).mean(1))) for i in range(len(keys))]
    lines = [f"\n## leave one data set out, protocol {protocol}: the policy best on the other {len(keys) - 1}"]
    for family in by_family:
        cols = [i for i, k in enumerate(keys) if k[0] == family]
        tuned = np.mean([values[chosen[i], i] for i in cols])
        auto = values[names.index(DEFAULT_POLICY), cols].mean() if DEFAULT_POLICY in names else float("nan")
        lines.append(f"- {family}: tuned on the others {tuned:.2f}, beta=auto {auto:.2f} ({len(cols)} data sets)")
    lines.append(f"- policies it picked: {', '.join(sorted({names[c] for c in chosen}))}")
    return "\n".join(lines)


IMAGE_MIXES = {
    "the package's mix, highest AUROC (the rule before choose_beta)": ("package",),
    "structure (rotate, flip, shuffle, blend)": ("rotate", "flip", "shuffle_patches", "blend"),
    "simpler (erase, thin, fade)": ("erase", "thin", "fade"),
    "structure + simpler (rotate, flip, shuffle, erase, thin, fade)": (
        "rotate",
        "flip",
        "shuffle_patches",
        "erase",
        "thin",
        "fade",
    ),
    "erase only": ("erase",),
}
"""Candidate image mixes, by the kinds of :mod:`studies.beta_without_labels.images` they pool (alternatives)."""


def image_report(folder: Path, checkpoint: str = "synthetic") -> None:
    """Images (:mod:`studies.beta_without_labels.images`): each β's test AUROC and each synthetic kind's choice."""
    pattern = re.compile(r"(?P<cell>.+)__s(?P<seed>\d+)__b(?P<beta>[\d.e+]+)__it(?P<it>\d+)\.npz")
    cells: dict[str, dict[float, dict[str, np.ndarray]]] = defaultdict(dict)
    for file in sorted(folder.glob("*.npz")):
        if match := pattern.fullmatch(file.name):
            cells[f"{match['cell']} seed {match['seed']} {match['it']} it"][float(match["beta"])] = dict(np.load(file))
    for cell, nets in cells.items():
        y = next(iter(nets.values()))["y_test"]
        first = next(iter(nets.values()))
        kinds = sorted(k.split("__syn_")[1] for k in first if k.startswith(f"{checkpoint}__syn_"))
        print(f"\n## {cell} ({checkpoint} checkpoint): β tried {sorted(nets)}")
        print("| β | test AUROC | " + " | ".join(kinds) + " |")
        print("|---|---|" + "---|" * len(kinds))
        for b, d in sorted(nets.items()):
            test = score(d[f"{checkpoint}__test"], b)
            held = score(d[f"{checkpoint}__held"], b)
            row = [100 * auc(held, score(d[f"{checkpoint}__syn_{k}"], b)) for k in kinds]
            shown = " | ".join(f"{v:.1f}" for v in row)
            print(f"| {b:g} | {100 * auc(test[y == 0], test[y == 1]):.2f} | {shown} |")
        print("\n| synthetic mix (kinds pooled, equal shares) | AUROC % per β | β chosen | its test AUROC |")
        print("|---|---|---|---|")
        if "package" in kinds:
            chosen = package_beta(nets, prefix=f"{checkpoint}__")
            test = score(nets[chosen][f"{checkpoint}__test"], chosen)
            print(f"| beta='auto' (choose_beta on the package's mix) | - | {chosen:g} | "
                  f"{100 * auc(test[y == 0], test[y == 1]):.2f} |")
        for mix, mix_kinds in IMAGE_MIXES.items():
            if not all(k in kinds for k in mix_kinds):
                continue
            value = {}
            for b, d in sorted(nets.items()):
                made = np.concatenate([score(d[f"{checkpoint}__syn_{k}"], b) for k in mix_kinds])
                value[b] = auc(score(d[f"{checkpoint}__held"], b), made)
            chosen = highest(value)
            test = score(nets[chosen][f"{checkpoint}__test"], chosen)
            per_beta = ", ".join(f"{b:g}: {100 * v:.1f}" for b, v in value.items())
            print(f"| {mix} | {per_beta} | {chosen:g} | {100 * auc(test[y == 0], test[y == 1]):.2f} |")


if __name__ == "__main__":
    main()
