"""Several models side by side: the comparison table (Markdown, CSV, pandas) and its figures.

``python -m acgan_lib compare`` and chapter 6 use it: every shipped model (and any finished run
directory) is scored by :func:`acgan_lib.evaluation.evaluate_generator` on the same real
digits, next to the real-data reference row.
"""

from __future__ import annotations

import csv
import io
import os
import sys
import time
from pathlib import Path

import numpy as np

from acgan_lib.data import NUM_CLASSES, MnistData
from acgan_lib.evaluation import METRIC_COLUMNS, evaluate_generator, evaluate_real, held_out_split
from acgan_lib.fidelity import FIDELITY_COLUMNS, fidelity_real, fidelity_scores
from acgan_lib.files import write_json, write_text
from acgan_lib.pretrained import available_pretrained, load_pretrained, pretrained_manifest
from acgan_lib.runs import check_run_dir, load_run
from acgan_lib.viz import sample_grid, show_grid


def compare_models(names: list[str] | None = None, run_dirs: list[str | os.PathLike] = (),
                   data: MnistData | None = None, n_per_class: int = 100, seed: int = 0,
                   include_real: bool = True, verbose: bool = True,
                   fidelity: bool = False) -> list[dict]:
    """Evaluate shipped models (default: all shipped) and run directories; one dict per row.

    Each row: ``name``, ``kind`` ("shipped", "run" or "real data"), ``steps``, ``images_seen``
    and the metrics of :func:`evaluate_generator`, with its ``generator`` for pictures.
    ``fidelity=True`` adds precision, recall, density, coverage, the intra-class Frechet
    distance and CAS (:mod:`acgan_lib.fidelity`; CAS trains a classifier per row, about a
    minute each on a CPU), the reference row's from real training digits.
    """

    run_dirs = [check_run_dir(d) for d in run_dirs]  # fail before any evaluation
    data, _ = held_out_split(data)
    rows = []
    if include_real:
        rows.append({"name": "real digits (reference)", "kind": "real data", "steps": None,
                     "images_seen": None, "generator": None,
                     **evaluate_real(data, n_per_class, seed),
                     **(fidelity_real(data, n_per_class, seed) if fidelity else {})})
    sources = [("shipped", n) for n in (available_pretrained() if names is None else names)]
    sources += [("run", str(d)) for d in run_dirs]
    for kind, source in sources:
        started = time.perf_counter()
        if kind == "shipped":
            gan, manifest = load_pretrained(source), pretrained_manifest(source)
            name = source
        else:
            gan, manifest = load_run(source)
            name = f"{manifest['model']} ({Path(source).name})"
        metrics = evaluate_generator(gan, data, n_per_class, seed)
        if fidelity:
            metrics.update(fidelity_scores(gan, data, n_per_class, seed))
        rows.append({"name": name, "kind": kind, "model": manifest["model"],
                     "steps": manifest.get("steps"), "images_seen": manifest.get("images_seen"),
                     "generator": gan.generator, **metrics})
        if verbose:
            print(f"evaluated {name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return rows


def _fmt(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "-"
    if isinstance(value, (int, np.integer)):
        return f"{value:,}"
    return f"{value:.{digits}f}"


def comparison_markdown(rows: list[dict]) -> str:
    """The comparison as a Markdown table, with the real set it used in a line above it."""
    header = ["model", "kind", "training images", "label accuracy", "Frechet distance", "diversity",
              "lowest diversity (digit)", "aux accuracy (real)"]
    with_fidelity = bool(rows) and all("recall" in r for r in rows)
    if with_fidelity:
        header += ["precision", "recall", "coverage", "intra-class FD", "CAS"]
    lines = [f"Real images: {rows[0]['real_images']}; {rows[0]['n_per_class']} generated images "
             f"per digit, seed {rows[0]['seed']}." if rows else "No models.", "",
             "| " + " | ".join(header) + " |",
             "|" + "|".join(["---"] * 2 + ["---:"] * (len(header) - 2)) + "|"]
    for r in rows:
        cells = [r["name"], r["kind"], _fmt(r.get("images_seen")), _fmt(r["label_accuracy"]),
                 _fmt(r["frechet_distance"], 2), _fmt(r["diversity"]),
                 f"{_fmt(r['diversity_lowest'])} ({r['diversity_lowest_digit']})",
                 _fmt(r.get("aux_label_accuracy_real"))]
        if with_fidelity:
            cells += [_fmt(r["precision"]), _fmt(r["recall"]), _fmt(r["coverage"]),
                      _fmt(r["intra_fd"], 2), _fmt(r["cas"])]
        lines.append("| " + " | ".join(cells) + " |")
    if with_fidelity:
        lines += ["", f"Precision, recall, coverage: k = {rows[0]['k']} nearest neighbours in the "
                      "classifier's features; CAS: a classifier trained on each row's images, "
                      "tested on real held-out digits. A model above the real row is drawing "
                      "digits easier (or tidier) than real ones, not better ones."]
    return "\n".join(lines) + "\n"


def comparison_table(rows: list[dict]):
    """The comparison as a pandas DataFrame (one row per model; the columns of the CSV)."""
    import pandas as pd

    columns = ["name", "kind", "model", "steps", "images_seen", *METRIC_COLUMNS,
               *FIDELITY_COLUMNS, "classifier_accuracy_real", "n_per_class", "seed",
               "real_images"]
    return pd.DataFrame([{k: r.get(k) for k in columns} for r in rows], columns=columns)


def write_comparison(rows: list[dict], out: str | os.PathLike) -> dict:
    """Write ``comparison.md``, ``.csv``, ``.json`` and figures (``comparison.png`` bar charts,
    ``samples.png`` one grid per model, ``confusion.png``) into ``out``; returns the paths."""
    from matplotlib.figure import Figure  # no pyplot: works under any backend, in notebooks too


    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"markdown": out / "comparison.md", "csv": out / "comparison.csv",
             "json": out / "comparison.json", "figure": out / "comparison.png",
             "samples": out / "samples.png", "confusion": out / "confusion.png"}
    write_text(paths["markdown"], comparison_markdown(rows))
    fields = ["name", "kind", "model", "steps", "images_seen", *METRIC_COLUMNS,
              *FIDELITY_COLUMNS, "classifier_accuracy_real", "n_per_class", "seed",
              "real_images"]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fields, extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: r.get(k) for k in fields} for r in rows)
    write_text(paths["csv"], buffer.getvalue())
    write_json(paths["json"], [{k: v for k, v in r.items() if k != "generator"} for r in rows])

    names = [r["name"].replace(" (reference)", "\n(reference)") for r in rows]
    fig = Figure(figsize=(12, 3.2 + 0.25 * len(rows)))
    axes = fig.subplots(1, 3)
    for ax, key, title in zip(axes, ("label_accuracy", "frechet_distance", "diversity"),
                              ("label accuracy (higher is better)",
                               "Frechet distance (lower is better)",
                               "diversity (1.0 = as varied as real)")):
        values = [r[key] for r in rows]
        colors = ["0.6" if r["kind"] == "real data" else "C0" for r in rows]
        ax.barh(range(len(rows)), values, color=colors)
        ax.set_yticks(range(len(rows)), names if ax is axes[0] else [""] * len(rows))
        ax.invert_yaxis()
        ax.set_title(title, fontsize=10)
        for i, v in enumerate(values):
            ax.text(v, i, f" {v:.3g}", va="center", fontsize=8)
    fig.tight_layout()
    fig.savefig(paths["figure"], dpi=120)

    models = [r for r in rows if r.get("generator") is not None]
    if models:
        fig = Figure(figsize=(3.2 * len(models), 3.6))
        axes = fig.subplots(1, len(models), squeeze=False)
        for ax, r in zip(axes[0], models):
            show_grid(sample_grid(r["generator"], per_class=10, seed=r["seed"]), r["name"], ax,
                      row_labels=ax is axes[0][0])
        fig.tight_layout()
        fig.savefig(paths["samples"], dpi=120)
    else:
        paths.pop("samples")
    fig = Figure(figsize=(4.2 * len(rows), 3.8))
    axes = fig.subplots(1, len(rows), squeeze=False)
    for ax, r in zip(axes[0], rows):
        plot_confusion_matrix(r["confusion_matrix"], ax=ax, title=r["name"])
    fig.tight_layout()
    fig.savefig(paths["confusion"], dpi=110)
    return paths


def plot_confusion_matrix(matrix, ax=None, title: str | None = None, normalize: bool = True):
    """Plot a confusion matrix with matplotlib (rows: requested digit; columns: classified as).

    ``normalize=True`` shows each row as fractions (the diagonal is the per-class label
    accuracy). Returns the axes.
    """
    import matplotlib.pyplot as plt

    matrix = np.asarray(matrix, dtype=float)
    if matrix.shape != (NUM_CLASSES, NUM_CLASSES):
        raise ValueError(f"a confusion matrix has shape (10, 10), got {matrix.shape}")
    shown = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1) if normalize else matrix
    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 3.8))
    im = ax.imshow(shown, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    for r in range(NUM_CLASSES):
        for c in range(NUM_CLASSES):
            value = shown[r, c]
            if value:
                text = f"{value:.2f}".lstrip("0") if normalize else f"{int(value)}"
                ax.text(c, r, "1" if normalize and value >= 0.995 else text, ha="center",
                        va="center", fontsize=6,
                        color="white" if value > 0.5 * (shown.max() or 1) else "black")
    ax.set_xticks(range(NUM_CLASSES))
    ax.set_yticks(range(NUM_CLASSES))
    ax.set_xlabel("classified as")
    ax.set_ylabel("requested digit")
    if title:
        ax.set_title(title)
    ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    return ax
