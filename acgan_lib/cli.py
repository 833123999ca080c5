"""Command line: ``python -m acgan_lib train|generate|compare ...``.

``python -m acgan_lib train`` with no other argument trains the ACGAN the course recommends
on 120,000 images of whatever MNIST is available (about five minutes on 2 CPU cores), then
prints its label accuracy and where its pictures are.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from acgan_lib import student_edition, study
from acgan_lib.catalogue import MODEL_SPECS, get_spec
from acgan_lib.classifier import train_and_save_classifier
from acgan_lib.comparison import compare_models, comparison_markdown, write_comparison
from acgan_lib.data import data_options, load_mnist
from acgan_lib.evidence import fidelity_table
from acgan_lib.files import command_line
from acgan_lib.pretrained import PRETRAINED_DIR, available_pretrained, load_pretrained
from acgan_lib.runs import TrainConfig, check_output_dir, load_run, train_run
from acgan_lib.shipping import ship_run
from acgan_lib.viz import save_grid

#: What ``python -m acgan_lib train`` trains when no --model is given: the ACGAN the course
#: recommends, which in the study's time-to-quality table (benchmarks/RESULTS.md) is among the
#: first to draw the requested digit 90% of the time, in every seed
#: (tests/test_cli.py checks that against acgan_lib/results/study.json).
DEFAULT_MODEL = "acgan-real-aux-concat"

#: How many training images the default run sees when no --epochs is given: the shipped budget
#: (2 epochs of the 60,000 MNIST training digits at batch 64), whatever the data, so that the
#: offline sample (4,000 training digits) trains as long as full MNIST does (30 epochs, not 2).
DEFAULT_TRAINING_IMAGES = 120_000


def default_epochs(train_images: int, batch_size: int, steps_per_epoch: int | None = None) -> int:
    """The epochs that come closest to :data:`DEFAULT_TRAINING_IMAGES` (at least one)."""
    per_epoch = (steps_per_epoch or train_images // batch_size) * batch_size
    return max(1, round(DEFAULT_TRAINING_IMAGES / per_epoch)) if per_epoch > 0 else 1


def _seed_option() -> argparse.ArgumentParser:
    """``--seed``, as an argparse parent: the same option for every command that draws."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    return parser


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m acgan_lib", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    data, seed = data_options(), _seed_option()

    train = sub.add_parser("train", parents=[data, seed],
                           help="train a CGAN or ACGAN into a run directory "
                                "(re-run the same command to resume)")
    train.add_argument("--model", default=DEFAULT_MODEL, choices=list(MODEL_SPECS),
                       help=f"the model to train (default: {DEFAULT_MODEL})")
    train.add_argument("--epochs", type=int, default=None,
                       help=f"default: as many as make {DEFAULT_TRAINING_IMAGES:,} training "
                            "images (2 on full MNIST at batch 64, 30 on the offline sample)")
    train.add_argument("--batch-size", type=int, default=64)
    train.add_argument("--steps-per-epoch", type=int, default=None,
                       help="default: one pass over the training images")
    train.add_argument("--learning-rate", type=float, default=2e-4)
    train.add_argument("--beta-1", type=float, default=0.5)
    train.add_argument("--out", default=None, help="run directory (default: runs/<model>)")
    train.add_argument("--no-xla", action="store_true", help="compile without XLA")
    train.add_argument("--fused-upsampling", action=argparse.BooleanOptionalAction, default=True,
                       help="compute each upsampling + convolution of the generator as one "
                            "cheaper step (same weights, same function up to rounding; the "
                            "fastest setting on a CPU, see benchmarks/RESULTS.md); on by "
                            "default, --no-fused-upsampling for the article's two layers")
    train.add_argument("--no-evaluation", action="store_true",
                       help="do not measure the generator during training (curve.json)")
    train.add_argument("--mixed-precision", action="store_true",
                       help="mixed_float16 (for GPUs with tensor cores)")
    train.add_argument("--keep", type=int, default=3, help="checkpoints to keep")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.add_argument("--deterministic", action="store_true",
                       help="deterministic TensorFlow kernels (repeatable on one machine; slower; "
                            "see acgan_lib.reproducibility)")

    gen = sub.add_parser("generate", parents=[seed],
                         help="write a sample grid from a run or a shipped model")
    gen.add_argument("source", help="a run directory or a shipped model's name")
    gen.add_argument("--out", required=True, help="PNG file to write")
    gen.add_argument("--per-class", type=int, default=10)

    clf = sub.add_parser("train-classifier", parents=[data, seed],
                         help="train the MNIST classifier that the evaluation metrics use")
    clf.add_argument("--out", default="classifier",
                     help="directory for classifier.npz and classifier.json")
    clf.add_argument("--epochs", type=int, default=4)
    clf.add_argument("--batch-size", type=int, default=128)
    clf.add_argument("--learning-rate", type=float, default=1e-3)
    clf.add_argument("--quiet", action="store_true", help="no progress bar")

    ship = sub.add_parser("ship", parents=[data, seed],
                          help="evaluate a finished run and copy it into acgan_lib/pretrained/ "
                               "as a shipped model")
    ship.add_argument("run_dir", help="a finished run directory (weights.npz + manifest.json)")
    ship.add_argument("--name", default=None, help="shipped name (default: the run's model)")
    ship.add_argument("--dest", default=None, help="default: the package's pretrained/ folder")
    ship.add_argument("--n-per-class", type=int, default=500)

    cmp_ = sub.add_parser("compare", parents=[data, seed],
                          help="evaluate every shipped model (and run directories) and write a "
                               "comparison table and figures")
    cmp_.add_argument("run_dirs", nargs="*", help="finished run directories to add")
    cmp_.add_argument("--out", default="comparison", help="directory for the table and figures")
    cmp_.add_argument("--models", nargs="*", default=None, choices=available_pretrained(),
                      help="shipped models to include (default: all shipped)")
    cmp_.add_argument("--n-per-class", type=int, default=100,
                      help="generated (and real) images per digit")
    cmp_.add_argument("--no-fidelity", action="store_true",
                      help="skip precision, recall, coverage, intra-class FD and CAS (CAS trains "
                           "a classifier per model: about a minute each on a CPU)")
    study.add_arguments(sub.add_parser(
        "study", parents=[data],
        help="train a declared grid of runs (models x seeds x budget), resumably, and "
             "aggregate their results (acgan_lib.study; meant for the full MNIST)"))
    student_edition.add_arguments(sub.add_parser(
        "student-edition", help="write the notebooks without solutions and the book with "
                                "solutions hidden into a folder to hand out"))
    return parser


def _train(args) -> int:
    get_spec(args.model)  # an unknown name fails before any data is loaded
    if args.data and args.source not in ("auto", "path"):
        raise ValueError(f"--data {args.data} is given but --source is {args.source!r}, which "
                         "would ignore it; drop one of them")
    if args.mixed_precision:
        import keras

        keras.mixed_precision.set_global_policy("mixed_float16")
    out = Path(args.out or Path("runs") / args.model)
    data = load_mnist(path=args.data, source=args.source)
    epochs = args.epochs
    if epochs is None:  # an explicit --epochs 0 still fails validation, naming it
        epochs = default_epochs(len(data.x_train), args.batch_size, args.steps_per_epoch)
    config = TrainConfig(model=args.model, epochs=epochs, batch_size=args.batch_size,
                         learning_rate=args.learning_rate, beta_1=args.beta_1, seed=args.seed,
                         jit_compile=not args.no_xla, fused_upsampling=args.fused_upsampling)
    manifest = train_run(config, out, data, steps_per_epoch=args.steps_per_epoch,
                         command=command_line(), verbose=0 if args.quiet else 1, keep=args.keep,
                         deterministic=args.deterministic, evaluate=not args.no_evaluation)
    grids = manifest["files"]["grids"]
    print(f"Trained {manifest['model']} for {manifest['steps']} steps "
          f"({manifest['wall_clock_seconds']:.0f} s).")
    final = manifest.get("final_evaluation")
    if final:
        print(f"Label accuracy {final['label_accuracy']:.1%}: the share of generated digits "
              f"that the shipped classifier reads as the digit asked for (chance: 10%); "
              f"curve: {out / 'curve.csv'}")
    if grids:
        print(f"Sample grids, one row per digit 0-9: {out / 'grids'} (last: {out / grids[-1]})")
    print(f"Animation: {out / 'training.gif'}\nMetrics: {out / 'metrics.csv'}\n"
          f"Weights: {out / 'weights.npz'}\nManifest: {out / 'manifest.json'}")
    return 0


def _generate(args) -> int:
    check_output_dir(Path(args.out).absolute().parent)  # before the model is loaded

    if Path(args.source).is_dir():
        gan, _ = load_run(args.source)
        generator = gan.generator
    else:
        generator = load_pretrained(args.source).generator
    path = save_grid(generator, args.out, args.per_class, args.seed)
    print(f"Wrote {path}")
    return 0


def _train_classifier(args) -> int:
    data = load_mnist(path=args.data, source=args.source)
    manifest = train_and_save_classifier(
        data, args.out, epochs=args.epochs, batch_size=args.batch_size,
        learning_rate=args.learning_rate, seed=args.seed, verbose=0 if args.quiet else 2,
        command=command_line())
    print(f"Test accuracy {manifest['test_accuracy']:.4f} on {manifest['data']['test_images']:,} "
          f"images ({manifest['wall_clock_seconds']:.0f} s).\n"
          f"Wrote {Path(args.out) / 'classifier.npz'} and {Path(args.out) / 'classifier.json'}")
    return 0


def _ship(args) -> int:
    data = load_mnist(path=args.data, source=args.source)
    manifest = ship_run(args.run_dir, name=args.name, data=data, dest=args.dest,
                        n_per_class=args.n_per_class, seed=args.seed, command=command_line())
    ev, name = manifest["evaluation"], manifest["name"]
    dest = Path(args.dest) if args.dest else PRETRAINED_DIR
    print(f"Shipped {name}: label accuracy {ev['label_accuracy']:.4f}, "
          f"Frechet distance {ev['frechet_distance']:.2f}, diversity {ev['diversity']:.3f} "
          f"({ev['real_images']})\nWrote {dest / (name + '.npz')} and {dest / (name + '.json')}")
    return 0


def _compare(args) -> int:
    data = load_mnist(path=args.data, source=args.source)
    rows = compare_models(args.models, args.run_dirs, data, n_per_class=args.n_per_class,
                          seed=args.seed, fidelity=not args.no_fidelity)
    paths = write_comparison(rows, args.out)
    print(comparison_markdown(rows))
    print("Wrote " + ", ".join(str(p) for p in paths.values()))
    return 0


def _study(args) -> int:
    if args.targets:  # evidence reads the study: the table is printed from above both
        print(fidelity_table())
        return 0
    return study.main(args)


def _student_edition(args) -> int:
    return student_edition.run(args)


COMMANDS = {"train": _train, "generate": _generate, "train-classifier": _train_classifier,
            "ship": _ship, "compare": _compare, "study": _study, "student-edition": _student_edition}


class Interrupted(KeyboardInterrupt):
    """Raised in the main thread when the process receives SIGTERM (or SIGINT)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _interrupt(signum, frame):
    raise Interrupted(signum)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = _parser().parse_args(argv)
    # SIGTERM (a notebook's "interrupt", a scheduler, `kill`) becomes an exception, so a write in
    # progress removes its temporary file; the checkpoints already written are complete.
    previous = None
    if args.command in ("train", "study") and threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        return COMMANDS[args.command](args)
    except (ValueError, TypeError, OSError, RuntimeError, FloatingPointError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        signum = getattr(exc, "signum", signal.SIGINT)
        hint = (": the checkpoints written so far are complete; run the same command again to "
                "resume from the last one") if args.command == "train" else ""
        print(f"interrupted ({signal.Signals(signum).name}){hint}.", file=sys.stderr)
        return 128 + int(signum)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
