# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""``anomalib-toll benchmark``: Toll beside PyOD and anomalib models, with the paper's protocol.

Example:
    $ anomalib-toll benchmark --dataset arrhythmia --models toll,iforest,ocsvm --seeds 1 --output results/arr
    $ anomalib-toll benchmark --dataset mvtec --category bottle --data_root ~/datasets/MVTecAD --models toll,padim
    $ anomalib-toll benchmark --dataset tabular --data_root ~/tables --models toll,iforest,ecod --protocol adbench
    $ anomalib-toll benchmark --dataset adbench --data_root ~/ADBench/adbench/datasets --category classical,cv_vit \
        --max_rows 50000 --models toll,iforest,ecod,knn --seeds 3
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict, Unpack

if TYPE_CHECKING:
    from collections.abc import Iterable


class GridOptions(TypedDict, total=False):
    """The keyword arguments ``run_grid`` passes on to ``run_benchmark`` (see there)."""

    classes: Iterable[int | str] | None
    protocol: str
    data_root: str | None
    device: str | None
    workers: int | None
    executor: str
    model_args: dict[str, dict[str, Any]] | None
    download: bool
    vary_split: bool
    data_options: dict[str, Any] | None
    max_rows: int | None


def benchmark(
    dataset: str = "digits",
    models: str = "toll,toll_beta0,iforest,ocsvm",
    model_args: dict[str, dict] | None = None,
    classes: list[int] | None = None,
    category: str | None = None,
    max_rows: int | None = None,
    seeds: int = 1,
    protocol: Literal["paper", "clean", "synthetic", "adbench"] = "paper",
    iterations: int = 2000,
    batch_size: int | None = None,
    eval_every: int = 20,
    vary_split: bool = False,
    data_root: str | None = None,
    image_size: int | None = None,
    normal_dir: str | list[str] | None = None,
    abnormal_dir: str | list[str] | None = None,
    normal_test_dir: str | list[str] | None = None,
    mask_dir: str | list[str] | None = None,
    download: bool = False,
    device: str | None = None,
    workers: int | None = None,
    executor: Literal["local", "ray"] = "local",
    output: Path = Path("results/benchmark"),
    plot_category: str | None = None,
) -> None:
    """Run a dataset × class × seed × model grid and write results, tables and plots.

    Appends each finished cell to ``results.jsonl`` (rerun the same command after an
    interruption and finished cells are skipped), and writes ``results.csv``,
    ``results.json``, ``summary.md`` and PNG plots into ``output``.

    Args:
        dataset: mnist, fashion_mnist, cifar10, cifar100, arrhythmia, digits, folder, mvtec, visa or
            tabular; ``digits`` (scikit-learn's bundled 8×8 digits) needs no download; ``folder`` reads
            your images from ``data_root`` (normal/ and abnormal/, the MVTec layout, or the ``*_dir``
            flags); ``mvtec`` and ``visa`` read a category through anomalib's ``MVTecAD`` / ``Visa``;
            ``tabular`` reads ODDS ``.mat`` / ADBench ``.npz`` files (``X``, ``y``): ``data_root`` is a
            file or a folder whose every file is a data set of the grid; ``adbench`` reads ADBench's
            ``datasets`` folder (``Classical/6_cardio.npz``, ``CV_by_ViT/...``) by ADBench's names.
        models: Comma-separated: toll, toll_beta0, fitymi, fitymi_toll (fitymi_toll_0.3: another collapse
            weight, one column each), iforest, ocsvm, kde, ecod, knn,
            autoencoder, vae, deepsvdd, any anomalib model by its name (padim, ganomaly, patchcore, ...),
            or class paths (pyod.models.lof.LOF, anomalib.models.Cfa).
        model_args: Keyword arguments per model, e.g.
            ``'{"toll": {"latent_dim": 8}, "iforest": {"n_estimators": 50}}'``.
        classes: Normal classes (default: all classes of the dataset; Arrhythmia has one).
        category: Classes by name instead, comma-separated: MVTec AD / VisA categories
            (``bottle,cable``), table file names (``cardio.mat``), or ADBench names and families
            (``cardio,thyroid``, ``classical``, ``cv_vit``, ``cv_resnet18``, ``nlp_bert``, ``nlp_roberta``).
        max_rows: adbench: skip the data sets holding more rows (ADBench's largest hold 600k),
            saying which.
        seeds: Number of seeds, 0..seeds-1.
        protocol: ``paper`` selects checkpoints on labelled validation data, ``clean`` on
            held-out normal samples only, ``synthetic`` on held-out normals against synthetic
            anomalies made from them (all three: the paper's one-class split); ``adbench`` is
            ADBench's stratified 70/30 split by seed, training on all training rows, unlabelled
            (tables and normal/ + abnormal/ folders).
        iterations: Training steps for Toll and anomalib models (paper: 2000); deep PyOD
            models get epochs seeing about as many samples; FITYMI cells train FITYMI's 30 epochs
            unless model_args set ``epochs`` (``null``: these iterations).
        batch_size: Rows per step (default: the model's own, else the paper's per dataset).
        eval_every: Validation interval of Toll, in steps (paper: 20).
        vary_split: Draw the held-out rows per seed instead of the authors' one fixed split.
        data_root: Folder with the data (default: $ANOMALIB_TOLL_DATA); a file or folder for ``tabular``.
        image_size: Side images are resized to (folder: 32, mvtec and visa: 256, anomalib's).
        normal_dir: anomalib ``Folder``'s folder(s) of normal (training) images, relative to
            ``data_root`` (default: normal, or train/good in the MVTec layout).
        abnormal_dir: Folder(s) of anomalous images (default: abnormal, or test/<defect>).
        normal_test_dir: Folder(s) of normal test images (MVTec layout: test/good). With it or
            ``mask_dir`` the split is the folders' own; without, normal/ + abnormal/ are split
            like Arrhythmia.
        mask_dir: Folder(s) of ground-truth masks named like the anomalous images (MVTec layout:
            ground_truth/<defect>): pixel AUROC and AUPRO for models that give anomaly maps.
        download: Let torchvision (or anomalib, for mvtec and visa) download a missing data set
            into ``data_root`` (online).
        device: Torch device (default: CUDA when available).
        workers: Local processes running cells in parallel, one thread each (default: one
            per core for the small networks of Arrhythmia and digits, else 1).
        executor: ``local`` processes, or ``ray`` for a cluster (pip install 'anomalib-toll[ray]').
        output: Folder for results, summary and plots.
        plot_category: Classes (names, comma-separated) drawn as ROC / histogram small multiples
            (default: the first 6). With many data sets the summary plots are a heatmap and the
            critical-difference diagram ``cd.png``.
    """
    if classes is not None and category is not None:
        msg = f"give classes ({classes}) or category ({category!r}), not both."
        raise ValueError(msg)
    data_options = {"image_size": image_size, "normal_dir": normal_dir, "abnormal_dir": abnormal_dir,
                    "normal_test_dir": normal_test_dir, "mask_dir": mask_dir}
    run_grid(
        dataset, models.split(","), output, model_args=model_args,
        plot_classes=[c.strip() for c in plot_category.split(",")] if plot_category else None,
        classes=[c.strip() for c in category.split(",")] if category is not None else classes, seeds=seeds,
        protocol=protocol, iterations=iterations, batch_size=batch_size, eval_every=eval_every, vary_split=vary_split,
        data_root=data_root, download=download, device=device, workers=workers, executor=executor,
        data_options={key: value for key, value in data_options.items() if value is not None}, max_rows=max_rows,
    )


def run_grid(
    dataset: str, models: list[str], output: Path, *, seeds: int, iterations: int, batch_size: int | None,
    eval_every: int, plot_classes: list[str] | None = None, **options: Unpack[GridOptions],
) -> None:
    """Run a grid, then write and print the summary and plots (also after failed cells, then exit 1)."""
    from anomalib_toll.benchmark.failures import interrupted, remove_if_empty
    from anomalib_toll.benchmark.grid import BenchmarkError, run_benchmark
    from anomalib_toll.core.checks import check_positive_int
    from anomalib_toll.data import get_dataset
    from anomalib_toll.protocol import Budget
    from anomalib_toll.report import summary_markdown, write_plots

    budget = Budget(iterations=iterations, batch_size=batch_size, eval_every=eval_every)
    seeds = check_positive_int("seeds", seeds)
    spec = get_dataset(dataset)
    notes = []
    if (max_rows := options.get("max_rows")) is not None:
        options["max_rows"] = max_rows = check_positive_int("max_rows", max_rows)
        _, skipped = spec.select_classes(options.get("classes"), options.get("data_root"), max_rows)
        if skipped:
            notes.append(f"Left out by --max_rows {max_rows}: "
                         + ", ".join(f"{name} ({rows:,} rows)" for name, rows in skipped) + ".")
            print(f"{dataset}: {notes[-1]}")
    if plot_classes and (unknown := sorted(set(plot_classes) - set(spec.class_names(options.get("data_root"))))):
        msg = (f"plot_category names {unknown}, which {dataset} does not have; its {spec.class_label} names are "
               f"{spec.class_names(options.get('data_root'))}.")
        raise ValueError(msg)
    failed = None
    existed = Path(output).exists()
    try:
        rows = run_benchmark(dataset, models, output, seeds=range(seeds), budget=budget, **options)
    except BenchmarkError as err:  # report what finished, then fail
        failed, rows = err, err.rows
    except KeyboardInterrupt as err:  # one line: what was kept, how to resume
        raise interrupted(output, existed) from err
    except BaseException:
        remove_if_empty(output, existed)  # a run that failed before its first cell leaves no empty folder
        raise
    class_names = spec.class_names(options.get("data_root"))
    adbench = options.get("protocol") == "adbench"
    title = f"{dataset} benchmark, ADBench protocol" if adbench else f"{dataset} one-class benchmark"
    summary = summary_markdown(rows, title, class_names, spec.class_label, spec.rank_across, notes)
    (output / "summary.md").write_text(summary)
    plots = write_plots([r for r in rows if not r.error], output, class_names, spec.class_label, plot_classes,
                        spec.rank_across)
    print(summary)
    print(f"results: {output / 'results.csv'}, {output / 'results.json'}, {output / 'summary.md'}, "
          + ", ".join(str(p) for p in plots))
    if failed is not None:
        raise failed
