"""The study's evidence as the chapters use it: a metric across seeds, two arms compared, curves.

A GAN's training run is one draw of a noisy process, so the chapters compare *arms* (a model at
one budget) across the seeds of the shipped study (:mod:`acgan_lib.study`), not single runs.
Each chapter states its conclusion in words, written for the result it describes; next to it,
:func:`check_conclusion` asserts that the numbers still support it. If re-trained models change
the result, the build fails with a message that says what changed, instead of printing a
different story.

The names below are importable from here; they live in:

* :mod:`~acgan_lib.evidence.arms`: reading an arm, comparing two, the runs in words, and
  :func:`check_conclusion`;
* :mod:`~acgan_lib.evidence.course_targets`: the course's targets for an ACGAN and the
  real-referenced fidelity targets;
* :mod:`~acgan_lib.evidence.plots`: curves and study tables;
* :mod:`~acgan_lib.evidence.mode_checks`: the conclusions whose inputs change with the run mode.

The chapters' own claims are in the other submodules (``acgan_loss``, ``acgan_budget``, ...).
"""

from __future__ import annotations

# Re-exported: the chapters and the tests import these from acgan_lib.evidence.
from acgan_lib.evidence.arms import (ARTICLE_BUDGET, GLUED_FINALS, SHIPPED_BUDGET, ArmValues,
                                     ConclusionChanged, Contrast, arm_runs, arm_values,
                                     budget_label, check_conclusion, check_runs_per_arm,
                                     contrast, first_reaching, glue_finals, has_arm,
                                     images_to_reach, in_words, lowest_digits_text, paired,
                                     reach_text, runs_per_arm, runs_text)
from acgan_lib.evidence.course_targets import (ACCURACY_TARGET, CAS_TARGET, COVERAGE_TARGET,
                                               DIGIT_RECALL_TARGET, DIVERSITY_TARGET,
                                               FIDELITY_TARGETS, FRECHET_TARGET,
                                               REAL_BAND_TARGET, RECALL_TARGET, RunTarget,
                                               Target, fidelity_runs, fidelity_table,
                                               real_band, reference_scores, run_targets,
                                               targets, targets_summary)
from acgan_lib.evidence.mode_checks import (DRAW_METRICS, EvaluationDraws, check_draws_as_asked,
                                            check_drowned_at_initialisation,
                                            check_evaluation_draws, check_not_drowned,
                                            check_real_distances, draw_sizes, evaluation_draws)
from acgan_lib.evidence.plots import (METRIC_TITLES, TABLE_METRICS, curve, plot_arms,
                                      plot_curves, study_table)
# Importable from here before the split too (the errors and the study these functions read).
from acgan_lib.study import StudyError, load_study
