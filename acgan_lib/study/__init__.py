"""Studies: a declared grid of training runs (models x seeds x budget), and their results.

One training run of a GAN is one draw from a noisy process: two seeds of the same model can
differ by more than two models do. A study trains every run of a declared plan as an ordinary,
resumable run directory (:func:`acgan_lib.runs.train_run`, with its curve), and writes each
run's results the moment it finishes::

    python -m acgan_lib study seeds article-budget --data mnist.npz

* ``runs/study/<run id>/``: the run directories (checkpoints, grids, curve; not shipped);
* ``acgan_lib/results/runs/<run id>.json``: one finished run's results (plan, manifest, curve,
  final evaluation with 500 images per digit), small enough to commit as soon as it exists;
* ``acgan_lib/results/grids/<run id>.png``: what the finished run draws (its last grid);
* ``weights/<run id>.npz``: the finished run's generator weights (outside the package data), so
  that any new metric can be computed again without training (``--reevaluate``);
* ``acgan_lib/results/reference.json``: what real digits score on every metric, at the final
  evaluation's sample sizes (the reference row of every table);
* ``acgan_lib/results/study.json``: the aggregate of every finished run: the runs' ids (each
  run's results are stored once, in ``runs/``; :func:`load_study` reads them back), and for
  each *arm* (a model at one budget) the mean, standard deviation, minimum and maximum across
  seeds.

A run whose results were committed before its weights were kept is trained again with
``--retrain``: training is deterministic on a CPU, so the retrained run must reproduce its
committed final label accuracy exactly and its Frechet distance to a relative 1e-6
(:data:`REPRODUCED` says why), and the runner says so or names the difference (then nothing is
written).

Running the same command again skips the runs whose results exist, resumes an interrupted one
from its last checkpoint, and aggregates again. A results file that cannot be read, or that
does not match its plan, is reported and left out of the aggregate, never averaged in.

The package, one module per part (each importable from here, as below):

* ``plan``: the declared studies, :class:`PlannedRun`, and where each run's files are;
* ``runner``: training, evaluating and keeping the runs (:func:`run_study`, :func:`retrain`,
  :func:`reevaluate`, :func:`train_planned_run`);
* ``summary``: the aggregate ``study.json`` and what is read from it (:func:`load_study`,
  :func:`time_to_quality`);
* ``command``: the ``python -m acgan_lib study`` command line.
"""

from acgan_lib.study.command import add_arguments, main
from acgan_lib.study.plan import (COMPARED_MODELS, RESULTS_DIR, RUNS_ROOT, STUDIES, WEIGHTS_ROOT,
                                  PlannedRun, StudyError, get_study, grid_path, result_path,
                                  status, weights_path)
from acgan_lib.study.runner import (FINAL_N_PER_CLASS, REPRODUCED, collect_result,
                                    final_evaluation, final_grid, keep_weights, load_kept,
                                    reevaluate, reproduction, retrain, run_study,
                                    save_final_grid, train_planned_run, write_reference)
from acgan_lib.study.summary import AGGREGATED, aggregate, load_study, time_to_quality

__all__ = [
    # plan
    "COMPARED_MODELS", "RESULTS_DIR", "RUNS_ROOT", "STUDIES", "WEIGHTS_ROOT", "PlannedRun",
    "StudyError", "get_study", "grid_path", "result_path", "status", "weights_path",
    # runner
    "FINAL_N_PER_CLASS", "REPRODUCED", "collect_result", "final_evaluation", "final_grid",
    "keep_weights", "load_kept", "reevaluate", "reproduction", "retrain", "run_study",
    "save_final_grid", "train_planned_run", "write_reference",
    # summary
    "AGGREGATED", "aggregate", "load_study", "time_to_quality",
    # command
    "add_arguments", "main",
]
