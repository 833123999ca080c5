"""Conclusions whose inputs change with the run mode.

A chapter's sizes come from :data:`acgan_lib.notebook.MODE_SIZES`, so the same conclusion is
computed from 30 images per digit in CI and from 100 or 500 in a reader's build. The checks
here are the ones whose inputs depend on those sizes: each chapter calls them with its mode's
numbers, and tests/test_run_modes.py calls them with every mode's, so that a conclusion that
holds at one mode's sizes and not at another's fails a test instead of a reader's build.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from acgan_lib.evaluation import evaluate_generator
from acgan_lib.evidence.arms import ArmValues, check_conclusion

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
