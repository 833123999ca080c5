"""The study drawn and tabulated: every seed's curve and their mean, and a Markdown table of
an arm's final metrics, for the chapters' figures and tables.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from acgan_lib.evidence.arms import SHIPPED_BUDGET, _seeds, arm_runs, arm_values, budget_label


def curve(run: dict, key: str, x: str = "images_seen") -> tuple[np.ndarray, np.ndarray]:
    """A run's curve: ``x`` (``"images_seen"`` or ``"step"``) against ``key``."""
    rows = [r for r in run["curve"] if r.get(key) is not None]
    return (np.array([r[x] for r in rows], dtype=float),
            np.array([r[key] for r in rows], dtype=float))


#: The final metrics of a study table: (key, column title, as a percentage).
TABLE_METRICS = (("label_accuracy", "label accuracy", True),
                 ("frechet_distance", "Fréchet distance (squared)", False),
                 ("diversity", "diversity", False),
                 ("diversity_lowest", "least varied digit", False))
#: A curve's axis label, by metric.
METRIC_TITLES = {**{key: title for key, title, _ in TABLE_METRICS},
                 "diversity_lowest": "least varied digit's diversity",
                 "aux_label_accuracy_fake": "own classifier's label accuracy"}


def plot_curves(models: list[str], key: str = "label_accuracy", budget: str = SHIPPED_BUDGET,
                ax=None, study: dict | None = None, x: str = "images_seen",
                style: dict | None = None, label: str = "{model}"):
    """Every seed's curve of ``key`` (thin) and their mean (bold), one colour per model.

    ``style`` maps a model to extra line options (e.g. ``{"acgan": {"ls": "--"}}``).
    """
    ax = ax or plt.gca()
    for i, model in enumerate(models):
        options = {"color": f"C{i}", **(style or {}).get(model, {})}
        runs = arm_runs(model, budget, study)
        xs, ys = zip(*(curve(r, key, x) for r in runs))
        for xi, yi in zip(xs, ys):
            ax.plot(xi / (1000 if x == "images_seen" else 1), yi, lw=0.8, alpha=0.45,
                    **options)
        if all(len(xi) == len(xs[0]) and np.array_equal(xi, xs[0]) for xi in xs):
            ax.plot(xs[0] / (1000 if x == "images_seen" else 1), np.mean(ys, axis=0), lw=2,
                    label=f"{label.format(model=model)} ({_seeds(len(runs))})", **options)
    ax.set_xlabel("training images seen (thousands)" if x == "images_seen" else "step")
    if not ax.get_ylabel():  # a second call on the same axes keeps the first label
        ax.set_ylabel(METRIC_TITLES.get(key, key.replace("_", " ")))
    return ax


def plot_arms(arms: list[tuple[str, str]], key: str = "label_accuracy", ax=None,
              study: dict | None = None):
    """:func:`plot_curves` for several ``(model, budget)`` arms on one axis, one colour per
    arm (``C0``, ``C1``, ... in order), each labelled with its model and budget."""
    for i, (model, budget) in enumerate(arms):
        ax = plot_curves([model], key, budget, ax, study,
                         label="{model}, " + budget_label(budget),
                         style={model: {"color": f"C{i}"}})
    return ax


def study_table(models: list[str], budget: str = SHIPPED_BUDGET,
                study: dict | None = None) -> str:
    """A Markdown table: one row per model, each final metric as mean ± std across seeds (a
    single run's value alone: one seed has no spread to state)."""
    lines = ["| model | seeds | " + " | ".join(t for _, t, _ in TABLE_METRICS) + " |",
             "|---|---:|" + "---:|" * len(TABLE_METRICS)]
    for model in models:
        cells = []
        for key, _, _ in TABLE_METRICS:
            cells.append(arm_values(key, model, budget, study).summary())
        n = len(arm_runs(model, budget, study))
        lines.append(f"| `{model}` | {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
