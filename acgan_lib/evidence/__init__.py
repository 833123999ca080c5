"""The study's evidence as the chapters use it: a metric across seeds, two arms compared, curves.

A GAN's training run is one draw of a noisy process, so the chapters compare *arms* (a model at
one budget) across the seeds of the shipped study (:mod:`acgan_lib.study`), not single runs.
Each chapter states its conclusion in words, written for the result it describes; next to it,
:func:`check_conclusion` asserts that the numbers still support it. If re-trained models change
the result, the build fails with a message that says what changed, instead of printing a
different story.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass

import numpy as np

from acgan_lib.study import StudyError, load_study

#: The shipped budget: 2 epochs of batches of 64 (1,874 steps).
SHIPPED_BUDGET = "b64-e2"
#: The article's budget: 20 epochs of batches of 256 (4,680 steps).
ARTICLE_BUDGET = "b256-e20"


class ConclusionChanged(AssertionError):
    """A conclusion written in a chapter is no longer supported by the numbers."""


@dataclass(frozen=True)
class ArmValues:
    """One final metric of one arm, one value per seed."""

    arm: str
    metric: str
    values: tuple[float, ...]

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    @property
    def std(self) -> float:
        """Sample standard deviation across seeds (0 for a single seed)."""
        return float(np.std(self.values, ddof=1)) if len(self.values) > 1 else 0.0

    @property
    def low(self) -> float:
        return float(min(self.values))

    @property
    def high(self) -> float:
        return float(max(self.values))

    def span(self, digits: str = ".2f") -> str:
        """``"1.41 to 2.12"``: the lowest and highest seed, for a sentence that gives the range
        the seeds cover rather than their mean."""
        return f"{self.low:{digits}} to {self.high:{digits}}"

    def text(self, percent: bool = False) -> str:
        """``"95.1% ± 1.1 points (3 seeds)"``: mean ± standard deviation across seeds; one
        seed has no spread to state (``"96.9% (1 seed)"``)."""
        seeds = _seeds(len(self.values))
        if len(self.values) == 1:
            return f"{self.mean:.1%} ({seeds})" if percent else f"{self.mean:.3g} ({seeds})"
        if percent:
            return f"{self.mean:.1%} ± {100 * self.std:.1f} points ({seeds})"
        return f"{self.mean:.3g} ± {self.std:.2g} ({seeds})"

    def summary(self) -> str:
        """Mean ± standard deviation as a table cell, without the seed count: ``"98.8% ±
        0.2"`` (points; ``"99.4% ± 0.01"`` for a spread under 0.05 points), ``"2.1 ± 0.02"``,
        ``"0.93 ± 0.01"``; a single run's value alone."""
        percent = "accuracy" in self.metric
        digits = ".1%" if percent else ".2f" if self.metric.startswith("diversity") else "#.3g"
        mean = format(self.mean, digits).rstrip(".")  # "#" keeps 2.10's zero, not 120.'s dot
        if len(self.values) == 1:
            return mean
        if percent:  # points; a spread under 0.05 points keeps one significant digit
            points = 100 * self.std
            return f"{mean} ± {points:.1f}" if points == 0 or points >= 0.05 else \
                f"{mean} ± {points:.1g}"
        return f"{mean} ± {self.std:.2g}"


def _study(study: dict | None) -> dict:
    return study if study is not None else load_study()


def arm_runs(model: str, budget: str = SHIPPED_BUDGET, study: dict | None = None) -> list[dict]:
    """The finished runs of ``model`` at ``budget`` (``"b64-e2"``), in seed order."""
    study = _study(study)
    arm = f"{model}-{budget}"
    if arm not in study["arms"]:
        raise StudyError(f"the study has no finished run of {arm!r}; it has "
                         f"{', '.join(sorted(study['arms']))}. Train it with "
                         f"`python -m acgan_lib study ...` (see acgan_lib.study)")
    return [study["runs"][run_id] for run_id in study["arms"][arm]["runs"]]


def has_arm(model: str, budget: str = SHIPPED_BUDGET, study: dict | None = None) -> bool:
    """Whether the study has a finished run of ``model`` at ``budget``."""
    return f"{model}-{budget}" in _study(study)["arms"]


def arm_values(metric: str, model: str, budget: str = SHIPPED_BUDGET,
               study: dict | None = None) -> ArmValues:
    """The final evaluation's ``metric`` for every seed of ``model`` at ``budget``."""
    runs = arm_runs(model, budget, study)
    if metric not in runs[0]["final"]:
        raise StudyError(f"unknown metric {metric!r}; the final evaluation has "
                         f"{', '.join(k for k, v in runs[0]['final'].items() if _scalar(v))}")
    return ArmValues(f"{model}-{budget}", metric, tuple(float(r["final"][metric]) for r in runs))


def _scalar(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class Contrast:
    """Arm ``a`` against arm ``b`` on one metric, across seeds."""

    a: ArmValues
    b: ArmValues

    @property
    def difference(self) -> float:
        """Mean of ``a`` minus mean of ``b``."""
        return self.a.mean - self.b.mean

    @property
    def spread(self) -> float:
        """The larger of the two arms' seed-to-seed standard deviations: the tolerance a
        conclusion about the difference has to clear."""
        return max(self.a.std, self.b.std)

    @property
    def a_above(self) -> bool:
        """Every seed of ``a`` above every seed of ``b``."""
        return self.a.low > self.b.high

    @property
    def a_below(self) -> bool:
        """Every seed of ``a`` below every seed of ``b``."""
        return self.a.high < self.b.low

    def text(self, percent: bool = False) -> str:
        if percent:
            return (f"{100 * self.difference:+.1f} points (seed-to-seed spread "
                    f"{100 * self.spread:.1f})")
        return f"{self.difference:+.3g} (seed-to-seed spread {self.spread:.2g})"


def contrast(metric: str, model_a: str, model_b: str, budget: str = SHIPPED_BUDGET,
             study: dict | None = None) -> Contrast:
    """``model_a`` against ``model_b`` on ``metric``, both at ``budget``."""
    return Contrast(arm_values(metric, model_a, budget, study),
                    arm_values(metric, model_b, budget, study))


def paired(metric: str, model_a: str, model_b: str, budget: str = SHIPPED_BUDGET,
           study: dict | None = None) -> dict[int, tuple[float, float]]:
    """``metric`` of ``model_a`` and ``model_b`` for each seed both were trained with. The
    two runs of a pair drew the same noise and labels at every step, so where two models
    differ in one setting, a pair isolates it better than two means do."""
    def by_seed(model: str) -> dict[int, float]:
        return {r["plan"]["seed"]: float(r["final"][metric])
                for r in arm_runs(model, budget, study)}

    a, b = by_seed(model_a), by_seed(model_b)
    return {s: (a[s], b[s]) for s in sorted(a.keys() & b.keys())}


_NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _number(n: int) -> str:
    return _NUMBERS[n] if n < len(_NUMBERS) else str(n)


def _runs(n: int) -> str:
    return f"{_number(n)} run" if n == 1 else f"{_number(n)} runs"


def runs_per_arm(models: list[str], budget: str = SHIPPED_BUDGET,
                 study: dict | None = None) -> dict[str, int]:
    """How many finished runs (seeds) each model has at ``budget``."""
    return {m: len(arm_runs(m, budget, study)) for m in models}


def in_words(items: list) -> str:
    """A list as a sentence says it: ``"a"``, ``"a and b"``, ``"a, b and c"``."""
    items = [str(x) for x in items]
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def runs_text(models: list[str], budget: str = SHIPPED_BUDGET,
              study: dict | None = None) -> str:
    """The runs behind a comparison, in words, for a chapter to glue instead of typing it:
    ``"two runs each"`` (``"two runs"`` for one model), or ``"two runs of acgan, one each
    of cgan-concat and cgan-multiply"`` when the models have different numbers of seeds."""
    counts = runs_per_arm(models, budget, study)
    if len(set(counts.values())) == 1:
        return _runs(next(iter(counts.values()))) + (" each" if len(models) > 1 else "")
    parts = []
    for n in sorted(set(counts.values()), reverse=True):
        names = [m for m in models if counts[m] == n]  # plain: {glue:text} shows no code
        listed = in_words(names)
        each = " each" if len(names) > 1 else ""
        parts.append(f"{_runs(n) if not parts else _number(n)}{each} of {listed}")
    return ", ".join(parts)


#: The three final metrics a chapter's sentence quotes, by the suffix of their glue names.
GLUED_FINALS = (("acc", "label_accuracy"), ("fid", "frechet_distance"),
                ("low", "diversity_lowest"))


def glue_finals(prefix: str, model: str, budget: str = SHIPPED_BUDGET,
                study: dict | None = None) -> dict[str, ArmValues]:
    """Glue ``model``'s final label accuracy, Fréchet distance and least varied digit's
    diversity at ``budget`` as ``{prefix}_acc``, ``{prefix}_fid`` and ``{prefix}_low``
    (:meth:`ArmValues.summary`: mean ± s.d. across its seeds), and return them by metric:
    one call for the chapters that quote an arm, instead of the formatting in each.
    """
    from acgan_lib.notebook import glue

    values = {}
    for suffix, metric in GLUED_FINALS:
        values[metric] = arm_values(metric, model, budget, study)
        glue(f"{prefix}_{suffix}", values[metric].summary())
    return values


def check_runs_per_arm(models: list[str], budget: str, n: int, exact: bool = False,
                       study: dict | None = None) -> dict[str, int]:
    """Check a chapter's premise about its runs, and return the counts: every model has at
    least ``n`` runs at ``budget`` (words such as "in both seeds" need it), or, with
    ``exact``, exactly ``n`` (words such as "one run each", which new seeds make false)."""
    counts = runs_per_arm(models, budget, study)
    holds = set(counts.values()) == {n} if exact else min(counts.values()) >= n
    check_conclusion(f"{budget_label(budget)}: {'exactly' if exact else 'at least'} "
                     f"{_runs(n)} of each of {', '.join(models)}", holds, f"{counts}")
    return counts


def first_reaching(model: str, key: str, threshold: float, budget: str = SHIPPED_BUDGET,
                   study: dict | None = None) -> list[dict | None]:
    """Each seed's first curve row with ``key`` at least ``threshold`` (``None`` for a seed
    that never got there), in seed order: when a model first draws, say, 90% right."""
    from acgan_lib.curves import first_reaching as first_row

    return [first_row(r["curve"], key, threshold) for r in arm_runs(model, budget, study)]


def images_to_reach(model: str, key: str, threshold: float, budget: str = SHIPPED_BUDGET,
                    study: dict | None = None) -> list[float]:
    """Each seed's training images when ``key`` first reached ``threshold``, in seed order,
    with ``math.inf`` for a seed that never did: "faster than" compares these, and a run that
    never got there then loses every comparison instead of breaking it."""
    return [math.inf if r is None else r["images_seen"]
            for r in first_reaching(model, key, threshold, budget, study)]


def reach_text(model: str, key: str, threshold: float, budget: str = SHIPPED_BUDGET,
               study: dict | None = None) -> str:
    """:func:`first_reaching` in words, for a chapter to glue: ``"299,520 images (epoch
    5)"`` for one run, ``"299,520 and 269,568 images (seeds 0 and 1)"`` for several,
    ``"never"`` where no seed got there."""
    from acgan_lib.curves import first_reaching as first_row

    runs = arm_runs(model, budget, study)
    rows = [first_row(r["curve"], key, threshold) for r in runs]
    if not any(rows):
        return "never"
    if len(rows) == 1:
        return f"{rows[0]['images_seen']:,} images (epoch {rows[0]['epoch']:g})"
    seeds = [str(r["plan"]["seed"]) for r in runs]
    reached = [f"{r['images_seen']:,}" if r else "never" for r in rows]
    return f"{in_words(reached)} images (seeds {in_words(seeds)})"


def lowest_digits_text(model: str, budget: str = SHIPPED_BUDGET,
                       study: dict | None = None) -> str:
    """Which digit is the least varied, across the seeds, for a chapter to glue: ``"0"``,
    or ``"1 or 7"`` where the seeds disagree."""
    digits = {r["final"]["diversity_lowest_digit"] for r in arm_runs(model, budget, study)}
    return " or ".join(map(str, sorted(digits)))


#: The course's targets for the ACGAN it recommends (issue #13), in the chapters' words.
ACCURACY_TARGET = "label accuracy of at least 99%"
FRECHET_TARGET = "a Fréchet distance below both CGANs'"
DIVERSITY_TARGET = "no collapsed digit (every diversity at least 0.5)"


@dataclass(frozen=True)
class Target:
    """One target, judged on an arm's mean across seeds, with every seed's verdict too."""

    target: str
    value: ArmValues
    bar: float
    higher_is_better: bool

    def _meets(self, x: float) -> bool:
        return x >= self.bar if self.higher_is_better else x < self.bar

    @property
    def met(self) -> bool:
        """Whether the mean across seeds meets it."""
        return self._meets(self.value.mean)

    @property
    def runs_met(self) -> int:
        """How many of the seeds meet it on their own."""
        return sum(self._meets(x) for x in self.value.values)

    @property
    def shortfall(self) -> float:
        """How far the mean is on the wrong side of the bar (negative: met with room)."""
        return self.bar - self.value.mean if self.higher_is_better else \
            self.value.mean - self.bar


def targets(model: str, budget: str = ARTICLE_BUDGET,
            cgans: tuple[str, ...] = ("cgan-concat", "cgan-multiply"),
            study: dict | None = None) -> dict[str, Target]:
    """The three targets for ``model`` at ``budget``; the Fréchet bar is the lower of the
    CGANs' mean distances at the same budget."""
    fid_bar = min(arm_values("frechet_distance", m, budget, study).mean for m in cgans)
    return {t.target: t for t in (
        Target(ACCURACY_TARGET, arm_values("label_accuracy", model, budget, study), 0.99, True),
        Target(FRECHET_TARGET, arm_values("frechet_distance", model, budget, study), fid_bar,
               False),
        Target(DIVERSITY_TARGET, arm_values("diversity_lowest", model, budget, study), 0.5,
               True))}


#: Targets read against real digits (issue #30): a generator should score like real held-out
#: digits, not above them. Judged on one run's final evaluation against the reference
#: (``results/reference.json``: real digits at the same sample sizes).
REAL_BAND_TARGET = "label accuracy within the real digits' band, not above it"
RECALL_TARGET = "recall at least 90% of real digits'"
COVERAGE_TARGET = "coverage at least 90% of real digits'"
CAS_TARGET = "CAS within one point of real digits'"
DIGIT_RECALL_TARGET = "no digit's recall below half of real digits'"
FIDELITY_TARGETS = (REAL_BAND_TARGET, RECALL_TARGET, COVERAGE_TARGET, CAS_TARGET,
                    DIGIT_RECALL_TARGET)


@dataclass(frozen=True)
class RunTarget:
    """One real-referenced target for one run: its value, the bar(s) and whether it is met."""

    target: str
    value: float
    low: float | None
    high: float | None

    @property
    def met(self) -> bool:
        return ((self.low is None or self.value >= self.low)
                and (self.high is None or self.value <= self.high))

    @property
    def shortfall(self) -> float:
        """How far the value lies outside its bar(s) (0 when met)."""
        below = self.low - self.value if self.low is not None else 0.0
        above = self.value - self.high if self.high is not None else 0.0
        return max(below, above, 0.0)


def real_band(reference: dict) -> tuple[float, float]:
    """The label accuracy that real held-out digits get from the classifier, plus and minus
    two binomial standard errors at the evaluation's number of images: where a generator that
    draws digits as hard to read as real ones lands. (Real *training* digits score higher: the
    classifier has seen them.)"""
    p = reference["classifier_accuracy_real"]
    n = 10 * reference["n_per_class"]
    se = math.sqrt(p * (1 - p) / n)
    return p - 2 * se, p + 2 * se


def reference_scores(study: dict | None = None) -> dict:
    """The study's reference: real digits scored as if generated (``results/reference.json``)."""
    reference = _study(study).get("reference")
    if not reference:
        raise StudyError("the study has no reference scores of real digits; compute them with "
                         "`python -m acgan_lib study <study> --reevaluate --data mnist.npz`")
    return reference


def run_targets(final: dict, reference: dict) -> dict[str, RunTarget]:
    """The five real-referenced targets for one run's final evaluation (it needs the fidelity
    scores: :func:`acgan_lib.study.final_evaluation`)."""
    if "recall" not in final:
        raise StudyError("this run's final evaluation has no fidelity scores; keep its weights "
                         "with `python -m acgan_lib study <study> --retrain --data mnist.npz`")
    low, high = real_band(reference)
    digit = min(f / (0.5 * r) for f, r in zip(final["recall_per_class"],
                                              reference["recall_per_class"]))
    return {t.target: t for t in (
        RunTarget(REAL_BAND_TARGET, final["label_accuracy"], low, high),
        RunTarget(RECALL_TARGET, final["recall"], 0.9 * reference["recall"], None),
        RunTarget(COVERAGE_TARGET, final["coverage"], 0.9 * reference["coverage"], None),
        RunTarget(CAS_TARGET, final["cas"], reference["cas"] - 0.01, None),
        # the worst digit's recall as a share of half the real digit's: 1 is the bar
        RunTarget(DIGIT_RECALL_TARGET, digit, 1.0, None))}


def fidelity_runs(study: dict | None = None) -> list[dict]:
    """The study's runs whose final evaluation has the fidelity scores, by arm and seed."""
    runs = _study(study)["runs"].values()
    return sorted((r for r in runs if "recall" in r["final"]),
                  key=lambda r: (r["plan"]["epochs"], r["plan"]["model"], r["plan"]["seed"]))


def fidelity_table(study: dict | None = None) -> str:
    """A Markdown table: the reference row, then every run with fidelity scores, and which of
    the real-referenced targets each meets (printed by ``python -m acgan_lib study
    --targets``; benchmarks/RESULTS.md quotes it)."""
    study = _study(study)
    reference = reference_scores(study)
    low, high = real_band(reference)
    head = ("| run | label accuracy | precision | recall | coverage | intra-class FD | CAS | "
            "lowest digit recall / real | targets met |")
    lines = [head, "|---|" + "---:|" * 8,
             f"| real digits (reference) | {reference['classifier_accuracy_real']:.2%} "
             f"(band {low:.2%} to {high:.2%}) | {reference['precision']:.3f} | "
             f"{reference['recall']:.3f} | {reference['coverage']:.3f} | "
             f"{reference['intra_fd']:.2f} | {reference['cas']:.2%} | 1.00 | - |"]
    for run in fidelity_runs(study):
        final = run["final"]
        verdicts = run_targets(final, reference)
        worst = 0.5 * verdicts[DIGIT_RECALL_TARGET].value  # as a share of real, not of half
        missed = [str(1 + FIDELITY_TARGETS.index(t)) for t, v in verdicts.items() if not v.met]
        lines.append(
            f"| {run['run_id']} | {final['label_accuracy']:.2%} | {final['precision']:.3f} | "
            f"{final['recall']:.3f} | {final['coverage']:.3f} | {final['intra_fd']:.2f} | "
            f"{final['cas']:.2%} | {worst:.2f} | "
            f"{len(verdicts) - len(missed)} of {len(verdicts)}"
            f"{' (misses ' + ', '.join(missed) + ')' if missed else ''} |")
    legend = "; ".join(f"{i}: {t}" for i, t in enumerate(FIDELITY_TARGETS, start=1))
    return "\n".join(lines) + f"\n\nTargets: {legend}.\n\n{targets_summary(study)}\n"


def targets_summary(study: dict | None = None) -> str:
    """In words: which runs meet every real-referenced target, and for each target how many
    runs meet it and how far the closest miss is from its bar."""
    study = _study(study)
    reference = reference_scores(study)
    verdicts = {r["run_id"]: run_targets(r["final"], reference) for r in fidelity_runs(study)}
    every = [run for run, v in verdicts.items() if all(t.met for t in v.values())]
    lines = [f"Runs that meet all five: {', '.join(every) if every else 'none'}."]
    for i, target in enumerate(FIDELITY_TARGETS, start=1):
        met = [run for run, v in verdicts.items() if v[target].met]
        misses = [(v[target].shortfall, run) for run, v in verdicts.items()
                  if not v[target].met]
        closest = (f"; closest miss {min(misses)[1]}, by {min(misses)[0]:.3f}" if misses
                   else "")
        lines.append(f"Target {i}: met by {len(met)} of {len(verdicts)} runs{closest}.")
    return " ".join(lines)


def check_conclusion(conclusion: str, holds: bool, measured: str) -> None:
    """Fail the build if a conclusion written in the book no longer holds.

    ``conclusion`` is the written claim in a few words, ``holds`` the test of it on the
    numbers, ``measured`` the numbers themselves, for the message.
    """
    if not holds:
        raise ConclusionChanged(
            f"The chapter says: {conclusion!r}, but the numbers no longer support it "
            f"(measured: {measured}). The models or the study have changed: rewrite the "
            f"conclusion for the new result, and this check with it.")
    print(textwrap.fill(f"still holds: {conclusion} ({measured})", 76,
                        subsequent_indent="    "))


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


def _seeds(n: int) -> str:
    return f"{n} seed" if n == 1 else f"{n} seeds"


def plot_curves(models: list[str], key: str = "label_accuracy", budget: str = SHIPPED_BUDGET,
                ax=None, study: dict | None = None, x: str = "images_seen",
                style: dict | None = None, label: str = "{model}"):
    """Every seed's curve of ``key`` (thin) and their mean (bold), one colour per model.

    ``style`` maps a model to extra line options (e.g. ``{"acgan": {"ls": "--"}}``).
    """
    import matplotlib.pyplot as plt

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


def budget_label(budget: str) -> str:
    """``"b256-e20"`` -> ``"20 epochs, batch 256"`` (an arm's budget, in words)."""
    batch, _, epochs = budget.partition("-")
    if not (batch[:1] == "b" and epochs[:1] == "e" and batch[1:].isdigit()
            and epochs[1:].isdigit()):
        raise ValueError(f"{budget!r} is not a budget like {SHIPPED_BUDGET!r}")
    return f"{int(epochs[1:])} epochs, batch {int(batch[1:])}"


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


# ------------------------------------------ conclusions whose inputs change with the run mode
# A chapter's sizes come from acgan_lib.notebook.MODE_SIZES, so the same conclusion is computed
# from 30 images per digit in CI and from 100 or 500 in a reader's build. The checks below are
# the ones whose inputs depend on those sizes: each chapter calls them with its mode's numbers,
# and tests/test_run_modes.py calls them with every mode's, so that a conclusion that holds at
# one mode's sizes and not at another's fails a test instead of a reader's build.

#: The metrics of exercise 6.3's evaluation draws.
DRAW_METRICS = ("label_accuracy", "frechet_distance", "diversity")


@dataclass(frozen=True)
class EvaluationDraws:
    """The same evaluation repeated: every model at every sample size with every seed
    (exercise 6.3). ``models[0]`` is the model the exercise studies, ``models[1]`` the second
    model it is compared with."""

    models: tuple[str, ...]
    sizes: tuple[int, ...]
    seeds: tuple[int, ...]
    draws: dict  # (model, n) -> {metric: np.ndarray, one value per seed}

    def values(self, model: str, n: int, metric: str) -> np.ndarray:
        return self.draws[model, n][metric]

    def mean(self, model: str, n: int, metric: str) -> float:
        return float(self.values(model, n, metric).mean())

    def spread(self, model: str, n: int, metric: str) -> float:
        """Standard deviation over the evaluation seeds."""
        return float(self.values(model, n, metric).std(ddof=1))

    @property
    def small(self) -> int:
        return self.sizes[0]

    @property
    def large(self) -> int:
        return self.sizes[-1]

    def yardstick(self, n: int) -> float:
        """The binomial standard error of ``models[0]``'s label accuracy from ``10 n`` images,
        at its mean accuracy at the largest size."""
        p = self.mean(self.models[0], self.large, "label_accuracy")
        return math.sqrt(p * (1 - p) / (10 * n))

    def fd_fall(self, model: str) -> float:
        """How much ``model``'s mean Fréchet distance falls from the smallest size to the
        largest (positive: it falls)."""
        return (self.mean(model, self.small, "frechet_distance")
                - self.mean(model, self.large, "frechet_distance"))

    def fd_fall_in_spreads(self, model: str) -> float:
        """:meth:`fd_fall` in units of ``model``'s spread at the largest size."""
        return self.fd_fall(model) / self.spread(model, self.large, "frechet_distance")

    @property
    def fd_gap(self) -> float:
        """The two models' mean Fréchet distances apart, at the largest size."""
        a, b = self.models[:2]
        return abs(self.mean(b, self.large, "frechet_distance")
                   - self.mean(a, self.large, "frechet_distance"))

    @property
    def fd_gap_in_spreads(self) -> float:
        return self.fd_gap / max(self.spread(m, self.large, "frechet_distance")
                                 for m in self.models[:2])

    def table(self) -> str:
        """One line per model and size: each metric's mean ± spread over the seeds."""
        lines = [f"{'':>14} {'':<5} " + " ".join(f"{k:>15}" for k in DRAW_METRICS)]
        for model in self.models:
            for n in self.sizes:
                cells = [f"{self.mean(model, n, k):.3f} ± {self.spread(model, n, k):.3f}"
                         for k in DRAW_METRICS]
                lines.append(f"{model:>14} n={n:<3} " + " ".join(f"{c:>15}" for c in cells))
        return "\n".join(lines)


def draw_sizes(sizes, data) -> tuple[int, ...]:
    """The sample sizes per digit that ``data``'s held-out set allows (the offline sample has
    100 held-out images of its rarest digit, full MNIST 892), in increasing order."""
    cap = int(np.bincount(np.asarray(data.y_test), minlength=10).min())
    kept = tuple(sorted(n for n in set(sizes) if n <= cap))
    if len(kept) < 2:
        raise ValueError(f"exercise 6.3 compares at least two sample sizes; of {tuple(sizes)}, "
                         f"only {kept} fit the {cap} held-out images of {data.source}'s rarest "
                         f"digit")
    return kept


def evaluation_draws(generators: dict, data, sizes, seeds,
                     classifier=None) -> EvaluationDraws:
    """Exercise 6.3's numbers: ``evaluate_generator(generator, data, n, seed)`` for every
    generator (``{name: generator or ConditionalGAN}``, the studied model first), every size
    in ``sizes`` that the data allows (:func:`draw_sizes`) and every seed in ``seeds``,
    keeping label accuracy, Fréchet distance and diversity."""
    from acgan_lib.evaluation import evaluate_generator

    sizes, seeds = draw_sizes(sizes, data), tuple(int(s) for s in seeds)
    if len(seeds) < 2 or len(generators) < 2:
        raise ValueError("a spread needs at least two seeds, and the exercise two models")
    draws = {}
    for name, generator in generators.items():
        for n in sizes:
            runs = [evaluate_generator(generator, data, n, seed, classifier=classifier)
                    for seed in seeds]
            draws[name, n] = {k: np.array([r[k] for r in runs], dtype=float)
                              for k in DRAW_METRICS}
    return EvaluationDraws(tuple(generators), sizes, seeds, draws)


def check_evaluation_draws(draws: EvaluationDraws, training: ArmValues) -> None:
    """The conclusions of exercise 6.3's solution, as its prose states them; ``training`` is
    the studied model's label accuracy across its *training* seeds (:func:`arm_values`)."""
    a, b = draws.models[:2]
    sizes, small, large = draws.sizes, draws.small, draws.large
    acc_sd = {n: draws.spread(a, n, "label_accuracy") for n in sizes}
    check_conclusion("6.3: label accuracy's evaluation spread is near the binomial yardstick",
                     all(acc_sd[n] < 3 * draws.yardstick(n) for n in sizes),
                     ", ".join(f"{acc_sd[n]:.3f} vs {draws.yardstick(n):.3f}" for n in sizes))
    moved = abs(draws.mean(a, small, "label_accuracy") - draws.mean(a, large, "label_accuracy"))
    check_conclusion("6.3: label accuracy's mean moves by less than twice its spread",
                     moved < 2 * acc_sd[small], f"{moved:.3f} vs {acc_sd[small]:.3f}")
    fd = ", ".join(f"{m} {n}: {draws.mean(m, n, 'frechet_distance'):.1f} ± "
                   f"{draws.spread(m, n, 'frechet_distance'):.1f}"
                   for m in draws.models[:2] for n in (small, large))
    check_conclusion(f"6.3: the Frechet distance's mean falls from {small} to {large} images "
                     "per digit, for both models",
                     all(draws.fd_fall(m) > 0 for m in draws.models[:2]), fd)
    check_conclusion(f"6.3: for {b}, that fall is several (> 3) times its spread at the "
                     "larger size", draws.fd_fall_in_spreads(b) > 3,
                     f"{draws.fd_fall_in_spreads(b):.1f} times")
    check_conclusion("6.3: the two models' Frechet distances differ by several spreads",
                     draws.fd_gap_in_spreads > 3,
                     f"{draws.fd_gap:.1f}, {draws.fd_gap_in_spreads:.0f} spreads")
    check_conclusion("6.3: the training seeds move label accuracy more than the evaluation "
                     "seeds do at any of these sizes", training.std > max(acc_sd.values()),
                     f"{training.std:.3f} vs at most {max(acc_sd.values()):.3f}")


def check_real_distances(sizes, distances) -> None:
    """Chapter 6: the Fréchet distance between two samples of real digits shrinks from the
    smallest sample to the largest (one draw at each size)."""
    check_conclusion("the distance between two samples of real digits shrinks as the samples "
                     "grow", len(sizes) > 1 and distances[0] > distances[-1],
                     ", ".join(f"{10 * n}: {d:.2f}" for n, d in zip(sizes, distances)))


def check_drowned_at_initialisation(dense_ratios: dict) -> None:
    """Chapter 3: before training, the concatenated label moves the first dense layer less
    than half as much, relative to the noise, as the multiplied one (``dense_ratios``: each
    kind's label dependence at the dense layer, one value per initialisation)."""
    concat, multiply = (float(np.mean(dense_ratios[k])) for k in ("concat", "multiply"))
    check_conclusion("at initialisation the concatenated label is drowned (< half multiply's "
                     "ratio)", concat < 0.5 * multiply, f"{concat:.2f} against {multiply:.2f}")


def check_not_drowned(image_ratios: dict, label: str = "") -> None:
    """Chapters 3 and 8: after training, the concatenated label changes the images at least
    half as much, relative to the noise, as the multiplied one (``image_ratios``: each kind's
    label dependence on the images, :func:`acgan_lib.conditioning.label_dependence`)."""
    concat, multiply = image_ratios["concat"], image_ratios["multiply"]
    check_conclusion(f"{label}the concatenated label is not drowned after training (>= half "
                     "multiply's ratio)", concat >= 0.5 * multiply,
                     f"{concat:.2f} against {multiply:.2f}, {concat / multiply:.0%}")


def check_draws_as_asked(model: str, accuracy: float) -> None:
    """Chapter 2: ``model`` draws the requested digit most of the time (its label accuracy on
    the chapter's number of generated images per digit is above 50%)."""
    check_conclusion(f"{model} draws the requested digit most of the time (> 50%)",
                     accuracy > 0.5, f"{accuracy:.1%}")
