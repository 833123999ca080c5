"""Running the experiment on a flavour: here, or Keras 2 in a subprocess with
``TF_USE_LEGACY_KERAS=1`` (``python -m acgan_lib.freezing --flavour keras2 --json``)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from acgan_lib.article import FLAVOURS, LEGACY_ENV
from acgan_lib.files import write_text
from acgan_lib.freezing.experiment import default_batch, run_here
from acgan_lib.validation import check_batch_size, check_positive_int


def freezing_experiment(flavour: str = "keras3", steps: int = 3, batch_size: int = 32,
                        seed: int = 0, images: np.ndarray | None = None,
                        labels: np.ndarray | None = None, timeout: float = 900) -> dict:
    """Run the article's compile-then-freeze pattern (and the explicit-list step) on a flavour.

    Returns a JSON-ready dict: versions; for the article pattern with a shared optimizer, with
    separate optimizers and (Keras 2 only) with a shared legacy optimizer, the trainable-weight
    counts each model reports, a record per
    ``train_on_batch`` call (weight checksums and hashes before/after, how far each network's
    parameters and BatchNormalization statistics moved), every warning, printed message and
    exception; and the explicit-variable-list step's per-update movements.

    ``"keras2"`` runs in a subprocess with ``TF_USE_LEGACY_KERAS=1`` (unless this process already
    has it) and reads its JSON back; both flavours then see the same images.
    """
    if flavour not in FLAVOURS:
        raise ValueError(f"unknown keras flavour {flavour!r}; choose one of {', '.join(FLAVOURS)}")
    check_positive_int(steps, "steps")
    check_batch_size(batch_size)
    if images is None:
        images, labels = default_batch(max(batch_size * steps, batch_size))
    elif labels is None:
        raise ValueError("give labels together with images")
    images = np.asarray(images, np.float32)
    if images.ndim == 3:
        images = images[..., None]
    labels = np.asarray(labels).reshape(-1)
    if len(images) != len(labels) or len(images) < batch_size:
        raise ValueError(f"need at least batch_size={batch_size} images with one label each, "
                         f"got {len(images)} images and {len(labels)} labels")
    if flavour == "keras3" or os.environ.get(LEGACY_ENV) == "1":
        return run_here(flavour, images, labels, steps, batch_size, seed)
    return _run_subprocess(flavour, images, labels, steps, batch_size, seed, timeout)


def _run_subprocess(flavour: str, images: np.ndarray, labels: np.ndarray, steps: int,
                    batch_size: int, seed: int, timeout: float) -> dict:
    env = dict(os.environ, **{LEGACY_ENV: "1"})
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    package_root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    with tempfile.TemporaryDirectory() as tmp:
        batch, out = os.path.join(tmp, "batch.npz"), os.path.join(tmp, "result.json")
        np.savez(batch, images=images, labels=labels)
        command = [sys.executable, "-m", "acgan_lib.freezing", "--flavour", flavour,
                   "--steps", str(steps), "--batch-size", str(batch_size), "--seed", str(seed),
                   "--data", batch, "--out", out]
        proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0 or not os.path.exists(out):
            raise RuntimeError(f"the {flavour} subprocess failed (exit {proc.returncode}):\n"
                               f"{proc.stderr[-3000:]}")
        with open(out) as f:
            return json.load(f)


def main(argv: list[str] | None = None) -> int:
    """``python -m acgan_lib.freezing --flavour keras2 --json``: run the experiment, print JSON."""
    parser = argparse.ArgumentParser(prog="python -m acgan_lib.freezing",
                                     description="Chapter 5's experiment on one Keras flavour, as JSON.")
    parser.add_argument("--flavour", choices=FLAVOURS, default="keras3")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", help=".npz with arrays images and labels (default: MNIST)")
    parser.add_argument("--out", help="write the JSON result to this file")
    parser.add_argument("--json", action="store_true", help="print the JSON result")
    args = parser.parse_args(argv)
    images = labels = None
    if args.data:
        with np.load(args.data) as npz:
            images, labels = npz["images"], npz["labels"]
    with contextlib.redirect_stdout(sys.stderr):  # stdout carries only the JSON
        result = freezing_experiment(args.flavour, args.steps, args.batch_size, args.seed,
                                     images, labels)
    text = json.dumps(result, indent=1)
    if args.out:
        write_text(args.out, text)
    if args.json or not args.out:
        print(text)
    return 0
