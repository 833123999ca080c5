"""The real-digit reference beside chapter 6's (and 8's) tables and plots, and chapter 6's
checks of its conclusions across training runs.

Every metric is read beside what real digits score at the same sample size
(``results/reference.json``: 500 images per digit, as every run's final evaluation): a
generator whose label accuracy lies above the real digits' band draws digits *easier* than
real ones, not better ones (the easy-sample bias of ACGAN).
"""

from __future__ import annotations

from acgan_lib.evidence.arms import (ARTICLE_BUDGET, SHIPPED_BUDGET, arm_values, budget_label,
                                     check_conclusion, check_runs_per_arm, contrast, in_words)
from acgan_lib.evidence.course_targets import fidelity_runs, real_band, reference_scores
from acgan_lib.evidence.plots import study_table

#: The final metrics the fidelity table shows, with their titles.
FIDELITY_COLUMNS = (("label_accuracy", "label accuracy"), ("recall", "recall"),
                    ("coverage", "coverage"), ("cas", "CAS"))


def band_text(study: dict | None = None) -> str:
    """``"99.28% (band 99.04% to 99.52%)"``: real held-out digits' label accuracy."""
    reference = reference_scores(study)
    low, high = real_band(reference)
    return f"{reference['classifier_accuracy_real']:.2%} (band {low:.2%} to {high:.2%})"


def study_table_with_reference(models: list[str], budget: str = SHIPPED_BUDGET,
                               study: dict | None = None) -> str:
    """:func:`acgan_lib.evidence.study_table` with a first row of real held-out digits
    scored at the same sample size (label accuracy with its two-standard-error band)."""
    reference = reference_scores(study)
    head, rule, *rows = study_table(models, budget, study).splitlines()
    real = (f"| real digits (reference) | - | {band_text(study)} | "
            f"{reference['frechet_distance']:.2f} | {reference['diversity']:.2f} | "
            f"{reference['diversity_lowest']:.2f} |")
    return "\n".join([head, rule, real, *rows])


def fidelity_markdown(budget: str = ARTICLE_BUDGET, study: dict | None = None) -> str:
    """One row per run at ``budget`` with fidelity scores, under the real digits' row (at the
    article's budget only some runs have them so far: :func:`fidelity_runs_text`)."""
    reference = reference_scores(study)
    lines = ["| run | " + " | ".join(t for _, t in FIDELITY_COLUMNS) + " |",
             "|---|" + "---:|" * len(FIDELITY_COLUMNS),
             f"| real digits (reference) | {band_text(study)} | {reference['recall']:.2f} | "
             f"{reference['coverage']:.2f} | {reference['cas']:.2%} |"]
    for run in fidelity_runs(study):
        f = run["final"]
        label = budget_label(f"b{run['plan']['batch_size']}-e{run['plan']['epochs']}")
        if label != budget_label(budget):
            continue
        lines.append(f"| `{run['plan']['model']}`, seed {run['plan']['seed']}, {label} | "
                     f"{f['label_accuracy']:.2%} | "
                     f"{f['recall']:.2f} | {f['coverage']:.2f} | {f['cas']:.2%} |")
    return "\n".join(lines)


def fidelity_arms_markdown(models: list[str], budget: str = SHIPPED_BUDGET,
                           study: dict | None = None) -> str:
    """Label accuracy, recall, coverage and CAS of each model (mean ± sd across its seeds)
    under the real digits' row at the same sample size: what a higher label accuracy costs
    in variety is read off one table."""
    reference = reference_scores(study)
    titles = [t for _, t in FIDELITY_COLUMNS]
    lines = ["| model | seeds | " + " | ".join(titles) + " |",
             "|---|---:|" + "---:|" * len(titles),
             f"| real digits (reference) | - | {band_text(study)} | {reference['recall']:.3f} "
             f"| {reference['coverage']:.3f} | {reference['cas']:.2%} |"]
    for model in models:
        arms = [arm_values(metric, model, budget, study) for metric, _ in FIDELITY_COLUMNS]
        cells = [a.summary() for a in arms]
        lines.append(f"| `{model}` | {len(arms[0].values)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def draw_real_band(ax, vertical: bool = False, study: dict | None = None):
    """Shade real held-out digits' label-accuracy band on ``ax`` (across x when
    ``vertical``, else across y), labelled for the legend."""
    low, high = real_band(reference_scores(study))
    span = ax.axvspan if vertical else ax.axhspan
    span(low, high, color="0.85", zorder=0, label="real digits (band)")
    return ax


def fidelity_by_model(budget: str = ARTICLE_BUDGET, study: dict | None = None) -> dict:
    """The final evaluations of each model's runs with fidelity scores at ``budget``, in
    seed order."""
    key, found = budget_label(budget), {}
    for r in fidelity_runs(study):
        if budget_label(f"b{r['plan']['batch_size']}-e{r['plan']['epochs']}") == key:
            found.setdefault(r["plan"]["model"], []).append(r["final"])
    return found


def fidelity_runs_text(budget: str = ARTICLE_BUDGET, study: dict | None = None) -> str:
    """``"one run of acgan, two of acgan-real-aux-concat ..."``: which runs have fidelity
    scores at ``budget``, for the sentence above :func:`fidelity_markdown`."""
    words = {1: "one", 2: "two", 3: "three"}
    counts = [f"{words.get(len(f), len(f))} of {m}"
              for m, f in fidelity_by_model(budget, study).items()]
    first, _, model = counts[0].partition(" of ")
    counts[0] = f"{first} {'run' if first == 'one' else 'runs'} of {model}"
    return in_words(counts)


def check_shipped_budget(fid: dict, acc: dict, low: dict) -> None:
    """Chapter 6: the ranking at the shipped budget (``fid``, ``acc``, ``low``: ArmValues by
    model, :data:`acgan_lib.evidence.verdicts.SHORT_MODELS`), and what recall, coverage and
    CAS add to it across the same seeds."""
    models = list(fid)
    variety = {k: {m: arm_values(k, m) for m in models} for k in ("recall", "coverage", "cas")}
    check_conclusion("cgan-concat has the highest mean recall and coverage",
                     all(variety[k]["cgan-concat"].mean == max(v.mean for v in variety[k].values())
                         for k in ("recall", "coverage")),
                     variety["recall"]["cgan-concat"].text())
    cas = contrast("cas", "cgan-concat", "cgan-multiply")
    check_conclusion("the two CGANs are level on CAS (within the seed-to-seed spread)",
                     abs(cas.difference) < cas.spread, cas.text(percent=True))
    check_conclusion("the article's acgan has the lowest mean coverage and CAS",
                     all(variety[k]["acgan"].mean == min(v.mean for v in variety[k].values())
                         for k in ("coverage", "cas")), variety["cas"]["acgan"].text(True))
    others = [m for m in models if m != "cgan-multiply"]
    check_conclusion("cgan-multiply has the lowest mean Frechet distance, and its worst seed "
                     "beats every ACGAN seed",
                     all(fid["cgan-multiply"].mean < fid[m].mean for m in others)
                     and fid["cgan-multiply"].high < min(fid["acgan"].low,
                                                         fid["acgan-real-aux"].low),
                     fid["cgan-multiply"].text())
    rest = [m for m in models if m != "acgan"]
    check_conclusion("the article's acgan is last on label accuracy and Frechet distance, "
                     "with the widest spread",
                     all(acc["acgan"].mean < acc[m].mean and fid["acgan"].mean > fid[m].mean
                         for m in rest)
                     and acc["acgan"].std == max(a.std for a in acc.values()),
                     acc["acgan"].text(True))
    check_conclusion("only cgan-concat keeps every digit as varied as real ones (least "
                     "varied >= 0.8)", low["cgan-concat"].low >= 0.8
                     and all(low[m].high < 0.8 for m in models if m != "cgan-concat"),
                     low["cgan-concat"].text())
    band_low, _ = real_band(reference_scores())
    check_conclusion("at the shipped budget every run is below the real digits' band",
                     all(a.high < band_low for a in acc.values()), f"{band_low:.4f}")


def check_article_budget() -> None:
    """Chapter 6: what 20 epochs change, with the real-digit band and the fidelity runs."""
    long_models = ("acgan", "cgan-concat", "cgan-multiply")
    check_runs_per_arm(list(long_models), ARTICLE_BUDGET, 3)
    fd = {m: arm_values("frechet_distance", m, ARTICLE_BUDGET)
          for m in (*long_models, "acgan-concat", "acgan-real-aux-concat")}
    check_conclusion("after 20 epochs every cgan-concat run has a lower Frechet distance "
                     "than any run of the article's ACGAN",
                     fd["cgan-concat"].high < fd["acgan"].low,
                     f"{fd['cgan-concat'].text()} vs {fd['acgan'].text()}")
    recipe = "acgan-real-aux-concat"
    check_conclusion("acgan-real-aux-concat: label accuracy above every CGAN run, the lowest "
                     "mean FID there, within one standard deviation of cgan-concat's",
                     all(contrast("label_accuracy", recipe, m, ARTICLE_BUDGET).a_above
                         for m in ("cgan-concat", "cgan-multiply"))
                     and all(fd[recipe].mean < v.mean for m, v in fd.items() if m != recipe)
                     and fd["cgan-concat"].mean - fd[recipe].mean < fd["cgan-concat"].std,
                     f"{fd[recipe].text()} vs {fd['cgan-concat'].text()}")
    _, band_high = real_band(reference_scores())
    above = [m for m in ("acgan-concat", recipe)
             if arm_values("label_accuracy", m, ARTICLE_BUDGET).low > band_high]
    check_conclusion("at 20 epochs both concatenating ACGANs score above the real digits' "
                     "band in every run", len(above) == 2, f"{above}, band top {band_high:.4f}")
    runs = fidelity_by_model()
    every = [(m, f) for m, finals in runs.items() for f in finals]
    best = max(every, key=lambda mf: mf[1]["recall"])[0]
    check_conclusion("at 20 epochs cgan-concat's run has the highest recall of the runs "
                     "with fidelity scores, the article's ACGAN's the lowest recall, "
                     "coverage and CAS",
                     best == "cgan-concat" and len(runs["acgan"]) == 1
                     and all(runs["acgan"][0][k] == min(f[k] for _, f in every)
                             for k in ("recall", "coverage", "cas")),
                     f"{ {m: [round(f['recall'], 3) for f in fs] for m, fs in runs.items()} }")
