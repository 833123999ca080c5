"""The command line of ``python -m acgan_lib study``: its arguments, and what each does.

Kept apart from the library functions it calls (:mod:`acgan_lib.study.runner`,
:mod:`acgan_lib.study.summary`) so that those read as a library; :mod:`acgan_lib.cli` adds
these arguments to its ``study`` subcommand and hands the parsed ones to :func:`main`.
"""

from __future__ import annotations

import os
import sys

from acgan_lib.data import load_mnist
from acgan_lib.study.plan import RUNS_ROOT, STUDIES, WEIGHTS_ROOT, get_study, status
from acgan_lib.study.runner import reevaluate, retrain, run_study
from acgan_lib.study.summary import aggregate


def add_arguments(parser) -> None:
    """The study options; ``--data``/``--source`` come from the parent parser
    (:func:`acgan_lib.data.data_options`), as for every command that loads MNIST."""
    parser.add_argument("studies", nargs="*", help=f"studies to run, in order: "
                                                   f"{', '.join(STUDIES)}")
    parser.add_argument("--runs", default=str(RUNS_ROOT), help="where the run directories go")
    parser.add_argument("--results", default=None,
                        help="results folder (default: the package's acgan_lib/results)")
    parser.add_argument("--status", action="store_true", help="list the runs and their state")
    parser.add_argument("--reevaluate", action="store_true",
                        help="recompute the final evaluation of the finished runs whose run "
                             "directories are present, then aggregate")
    parser.add_argument("--retrain", action="store_true",
                        help="keep the generator weights of finished runs that lack them: from "
                             "their run directory, their shipped model, or trained again; each "
                             "must reproduce its committed label accuracy and Frechet distance")
    parser.add_argument("--weights", default=None,
                        help=f"where finished runs keep their generator weights (default: "
                             f"{WEIGHTS_ROOT}/ for the package's results, else <results>/weights)")
    parser.add_argument("--targets", action="store_true",
                        help="print every run with fidelity scores beside the real reference, "
                             "and which of the real-referenced targets it meets")
    parser.add_argument("--aggregate", action="store_true",
                        help="only aggregate the finished runs' results")


def main(args) -> int:
    plan = [run for name in (args.studies or []) for run in get_study(name)]
    if args.status:
        for line in status(plan or [r for s in STUDIES.values() for r in s], args.results,
                           args.runs):
            print(line)
        return 0
    if args.aggregate or not plan:
        summary = aggregate(args.results)
        print(f"Aggregated {len(summary['runs'])} runs into {len(summary['arms'])} arms "
              f"({len(summary['excluded'])} left out).")
        return 0
    data = load_mnist(path=args.data, source=args.source)
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    if args.retrain:
        done = retrain(plan, data, args.runs, args.results, args.weights, log=log)
        summary = aggregate(args.results)
        print(f"Kept the weights of {done} runs; aggregated {len(summary['runs'])} runs.")
        return 0
    if args.reevaluate:
        redone = reevaluate(plan, data, args.runs, args.results, log=log,
                            weights_root=args.weights)
        summary = aggregate(args.results)
        print(f"Recomputed {redone} final evaluations; aggregated {len(summary['runs'])} runs.")
        return 0
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    summary = run_study(plan, data, args.runs, args.results, log=log,
                        weights_root=args.weights)
    for arm, info in summary["arms"].items():
        acc = info["metrics"]["label_accuracy"]
        print(f"{arm}: label accuracy {acc['mean']:.4f} (min {acc['min']:.4f}, max "
              f"{acc['max']:.4f}, {acc['n']} seeds)")
    return 0
