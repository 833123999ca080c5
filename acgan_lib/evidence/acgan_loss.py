"""Chapter 4 (the auxiliary classifier and the weight w): the numbers it glues and the checks
that its conclusion still holds, so that the notebook keeps only a call per section.

Each ``*_facts`` function returns a :class:`Facts`: the section's numbers as attributes and
``glued``, the texts the chapter glues (name -> text); each ``check_*`` function runs the
section's conclusion checks (:func:`acgan_lib.evidence.check_conclusion`).
"""

from __future__ import annotations

from types import SimpleNamespace

from acgan_lib.evidence.arms import (ARTICLE_BUDGET, SHIPPED_BUDGET, arm_runs, arm_values,
                                     budget_label, check_conclusion, contrast)
from acgan_lib.evidence.course_targets import real_band, reference_scores

#: The three final metrics a section compares.
METRICS = ("label_accuracy", "frechet_distance", "diversity_lowest")
#: The two ACGANs that differ in w only: w = 1 (the article's) and w = 0.
W_PAIR = ("acgan", "acgan-real-aux")
CGANS = ("cgan-concat", "cgan-multiply")


class Facts(SimpleNamespace):
    """A section's numbers (attributes) and ``glued``: the chapter's glue names -> texts."""


def seed_table(arms: dict[str, tuple[str, str]], metrics=METRICS,
               study: dict | None = None) -> str:
    """A Markdown table, one row per seed: each arm (title -> ``(model, budget)``) and metric a
    column. The per-seed numbers of a comparison, instead of a sentence full of them."""
    formats = {"label_accuracy": ".1%", "frechet_distance": ".1f"}
    short = {"label_accuracy": "label acc.", "frechet_distance": "FID",
             "diversity_lowest": "least varied"}
    head = ["seed"] + [f"{title}: {short.get(m, m)}" for title in arms for m in metrics]
    by_seed: dict[int, list[str]] = {}
    for title, (model, budget) in arms.items():
        for run in arm_runs(model, budget, study):
            row = by_seed.setdefault(run["plan"]["seed"], [])
            row += [format(run["final"][m], formats.get(m, ".2f")) for m in metrics]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    width = len(head) - 1
    for seed, cells in sorted(by_seed.items()):
        cells = cells + ["–"] * (width - len(cells))
        lines.append(f"| {seed} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def arm_title(model: str, budget: str = SHIPPED_BUDGET) -> str:
    """``"`acgan` at 2 epochs"``: a model named with its budget, so that a 2-epoch run of
    ``acgan`` is never read as the shipped ``acgan`` (20 epochs at batch 256)."""
    epochs = budget_label(budget).split(" epochs")[0]
    return f"`{model}` at {epochs} epochs"


def draw_real_accuracy(ax, n_per_class: int = 100, study: dict | None = None) -> None:
    """The real held-out digits' label accuracy on a plot of label accuracy: a line, and the
    band of two binomial standard errors at the plot's ``n_per_class`` (the curves': 100)."""
    ref = reference_scores(study)
    low, high = real_band({**ref, "n_per_class": n_per_class})
    ax.axhspan(low, high, color="0.85", zorder=0)
    ax.axhline(ref["classifier_accuracy_real"], color="0.3", lw=1, ls=":",
               label="real digits")


def w_facts(study: dict | None = None) -> Facts:
    """w = 0 against w = 1 at the shipped budget: both classifiers' label accuracy, distance,
    least varied digit; and the gap between the own and the independent classifier at 20
    epochs."""
    w1, w0 = W_PAIR
    vs = {m: contrast(m, w0, w1, study=study) for m in METRICS}
    acc, fid, low = (vs[m] for m in METRICS)
    own = {n: [r["curve"][-1]["aux_label_accuracy_fake"] for r in arm_runs(n, study=study)]
           for n in W_PAIR}
    cgan_low = min(arm_values("diversity_lowest", m, study=study).low for m in CGANS)
    aux_real = {n: arm_runs(n, study=study)[0]["final"]["aux_label_accuracy_real"]
                for n in W_PAIR}
    # the article's ACGAN trained 20 epochs: own classifier minus independent, at the end
    long_gap = [r["curve"][-1]["aux_label_accuracy_fake"] - r["curve"][-1]["label_accuracy"]
                for r in arm_runs(w1, ARTICLE_BUDGET, study)]
    short_gap = [o - r["curve"][-1]["label_accuracy"]
                 for o, r in zip(own[w1], arm_runs(w1, study=study))]
    glued = {
        "n_seeds": str(len(acc.a.values)),
        "w1_acc": acc.b.text(percent=True), "w0_acc": acc.a.text(percent=True),
        "acc_diff": acc.text(percent=True),
        "w1_fid": fid.b.text(), "w0_fid": fid.a.text(),
        "w1_low": low.b.text(), "w0_low": low.a.text(),
        "acgan_low_max": f"{max(low.a.high, low.b.high):.2f}",
        "cgan_low_min": f"{cgan_low:.2f}",
        "aux_real_w1": f"{aux_real[w1]:.1%}", "aux_real_w0": f"{aux_real[w0]:.1%}",
        "own_min": f"{min(min(v) for v in own.values()):.1%}",
        "short_gap_min": f"{100 * min(short_gap):.0f}",
        "long_gap_max": f"{100 * max(long_gap):.1f}",
        "long_gap_runs": str(len(long_gap)),
    }
    return Facts(acc=acc, fid=fid, low=low, own=own, cgan_low=cgan_low,
                 short_gap=short_gap, long_gap=long_gap, glued=glued)


def check_w(f: Facts) -> None:
    """The checks behind the chapter's conclusion on w."""
    acc, fid, low = f.acc, f.fid, f.low
    check_conclusion("w = 0 obeys the label better in every seed, by more than the spread",
                     acc.a_above and acc.difference > acc.spread, acc.text(percent=True))
    check_conclusion("w = 0 has the lower mean Frechet distance, but the seeds overlap",
                     fid.difference < 0 and not fid.a_below, fid.text())
    check_conclusion("every ACGAN run collapses a digit (lowest diversity < 0.5, below "
                     "every CGAN run)", max(low.a.high, low.b.high) < min(0.5, f.cgan_low),
                     low.text())
    check_conclusion("the own classifier ends above 97% in every run, ahead of the "
                     "independent one", min(min(v) for v in f.own.values()) > 0.97
                     and acc.a.high < min(f.own["acgan-real-aux"]), f"{f.own}")
    check_conclusion("with w = 1 the own classifier leads the independent one by over 10 "
                     "points in every 2-epoch run; at 20 epochs by under one point in "
                     "every run", min(f.short_gap) > 0.1 and max(f.long_gap) < 0.01,
                     f"{f.short_gap} then {f.long_gap}")
