"""The targets a run is judged against: the course's three for the ACGAN it recommends (issue
#13), judged on an arm's mean across seeds, and the five real-referenced ones (issue #30),
judged on one run's final evaluation against real held-out digits (``results/reference.json``).

Kept apart from :mod:`acgan_lib.evidence.arms` because they are a verdict on the numbers, not
a way of reading them; ``python -m acgan_lib study --targets`` prints :func:`fidelity_table`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from acgan_lib.evidence.arms import ARTICLE_BUDGET, ArmValues, _study, arm_values
from acgan_lib.study import StudyError

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
