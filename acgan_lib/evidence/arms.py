"""Reading the study by arm: a model at one budget, across the seeds of the shipped study.

The chapters compare arms, not single runs (one run is one draw of a noisy process), and each
states its conclusion in words next to :func:`check_conclusion`, which fails the build when
the numbers no longer support it. Everything else in :mod:`acgan_lib.evidence` reads the
study through the helpers here.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass

import numpy as np

from acgan_lib import notebook
from acgan_lib.curves import first_row_reaching
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
        percent = "accuracy" in self.metric or self.metric == "cas"
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
    values = {}
    for suffix, metric in GLUED_FINALS:
        values[metric] = arm_values(metric, model, budget, study)
        notebook.glue(f"{prefix}_{suffix}", values[metric].summary())  # looked up per call
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
    return [first_row_reaching(r["curve"], key, threshold) for r in arm_runs(model, budget, study)]


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
    runs = arm_runs(model, budget, study)
    rows = [first_row_reaching(r["curve"], key, threshold) for r in runs]
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


def _seeds(n: int) -> str:
    return f"{n} seed" if n == 1 else f"{n} seeds"


def budget_label(budget: str) -> str:
    """``"b256-e20"`` -> ``"20 epochs, batch 256"`` (an arm's budget, in words)."""
    batch, _, epochs = budget.partition("-")
    if not (batch[:1] == "b" and epochs[:1] == "e" and batch[1:].isdigit()
            and epochs[1:].isdigit()):
        raise ValueError(f"{budget!r} is not a budget like {SHIPPED_BUDGET!r}")
    return f"{int(epochs[1:])} epochs, batch {int(batch[1:])}"
