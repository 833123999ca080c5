"""Shipped checkpoints: loading the GANs and the classifier that the project's own code trained.

``acgan_lib/pretrained/`` holds, for each shipped name, ``<name>.npz`` (weights only, read
without unpickling) and ``<name>.json`` (the run's manifest: exact command, data, steps, batch
size, seed, wall-clock time, versions, plus its evaluation by :mod:`acgan_lib.evaluation`).
They were made with::

    python -m acgan_lib train --model NAME ... --data mnist.npz --out runs/NAME   # full MNIST
    python -m acgan_lib ship runs/NAME --data mnist.npz                          # evaluate, copy

and the classifier with ``python -m acgan_lib train-classifier``. Nothing here needs the
training data at run time.

In a notebook, :func:`load_or_train` loads the shipped model if there is one (or trains a short
run when asked to, or when none is shipped) and says which it did. Shipping a run is
:mod:`acgan_lib.shipping`.
"""

from __future__ import annotations

import os
import re
import textwrap
import time
from pathlib import Path
from typing import NamedTuple

from acgan_lib.catalogue import build_gan, get_spec
from acgan_lib.checkpoint import CheckpointError, load_gan
from acgan_lib.classifier import CLASSIFIER_PATH
from acgan_lib.data import MnistData
from acgan_lib.files import read_json, sha256
from acgan_lib.models import LATENT_DIM
from acgan_lib.runs import TrainConfig, load_run, train_run, weights_model
from acgan_lib.training import ConditionalGAN

#: Each shipped name and the model (:data:`acgan_lib.catalogue.MODEL_SPECS`) it is. Four
#: trained at the article's budget (20 epochs at batch 256): ``acgan``, the article's ACGAN
#: (the study's seed 0); ``acgan-concat``, that with the concatenating generator (seed 1);
#: ``acgan-real-aux-concat``, that with no class loss on generated images as well (seed 0),
#: the ACGAN the course recommends; and ``cgan-concat-20-epochs``, the concatenating CGAN
#: (seed 0), so that CGAN and ACGAN compare at equal budgets. The others, and
#: ``acgan-2-epochs``, are the study's seed-0 runs at the shipped budget (2 epochs at batch 64).
SHIPPED_MODELS = {"acgan": "acgan", "acgan-concat": "acgan-concat",
                  "acgan-real-aux-concat": "acgan-real-aux-concat",
                  "cgan-concat-20-epochs": "cgan-concat",
                  "acgan-2-epochs": "acgan", "acgan-real-aux": "acgan-real-aux",
                  "cgan-concat": "cgan-concat", "cgan-multiply": "cgan-multiply"}
#: The shipped names trained at the article's budget, ten times the others' training images.
ARTICLE_BUDGET_NAMES = ("acgan", "acgan-concat", "acgan-real-aux-concat",
                        "cgan-concat-20-epochs")
SHIPPED_NAMES = tuple(SHIPPED_MODELS)
ENV_TRAIN = "ACGAN_TRAIN"
#: The folder of the shipped checkpoints, inside the installed package (the classifier's
#: :data:`~acgan_lib.classifier.CLASSIFIER_PATH` is a file in it).
PRETRAINED_DIR = CLASSIFIER_PATH.parent
#: A shipped name: lowercase letters, digits and hyphens.
SHIPPED_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")

__all__ = ["SHIPPED_NAMES", "SHIPPED_MODELS", "ARTICLE_BUDGET_NAMES", "available_pretrained",
           "pretrained_manifest", "load_pretrained", "load_or_train", "Loaded", "History",
           "pretrained_history", "pretrained_dir", "PRETRAINED_DIR"]


def pretrained_dir(directory: str | os.PathLike | None = None) -> Path:
    """``directory``, or the package's own :data:`PRETRAINED_DIR` when it is None."""
    return Path(directory) if directory is not None else PRETRAINED_DIR


def available_pretrained(directory: str | os.PathLike | None = None) -> list[str]:
    """Names of the shipped GANs present (both ``.npz`` and ``.json``), known names first."""
    folder = pretrained_dir(directory)
    found = {p.stem for p in folder.glob("*.npz") if (folder / f"{p.stem}.json").is_file()
             and p.stem != "classifier"}
    return [n for n in SHIPPED_NAMES if n in found] + sorted(found - set(SHIPPED_NAMES))


def _check_name(name: str, directory) -> Path:
    if not isinstance(name, str) or not SHIPPED_NAME.match(name):
        raise ValueError(f"a pretrained model name is a lowercase word like 'acgan', got {name!r}")
    folder = pretrained_dir(directory)
    if name not in SHIPPED_NAMES and not (folder / f"{name}.json").exists():
        raise ValueError(f"unknown pretrained model {name!r}; the shipped names are "
                         f"{', '.join(SHIPPED_NAMES)}")
    if not (folder / f"{name}.json").is_file() or not (folder / f"{name}.npz").is_file():
        missing = [f"{name}{ext}" for ext in (".npz", ".json") if not (folder / f"{name}{ext}")
                   .is_file()]
        raise CheckpointError(
            f"no shipped checkpoint for {name!r} in {folder} (missing {', '.join(missing)}). "
            f"Train one with `python -m acgan_lib train --model "
            f"{SHIPPED_MODELS.get(name, name)}`, or use "
            f"acgan_lib.pretrained.load_or_train({name!r}), which trains a short run.")
    return folder


def pretrained_manifest(name: str, directory: str | os.PathLike | None = None) -> dict:
    """The manifest of a shipped model: how it was trained, and its evaluation."""
    folder = _check_name(name, directory)
    manifest = read_json(folder / f"{name}.json", error=CheckpointError)
    if "model" not in manifest:
        raise CheckpointError(f"{folder / (name + '.json')} is not a shipped model's manifest "
                              "(no 'model' entry)")
    return manifest


def load_pretrained(name: str, directory: str | os.PathLike | None = None) -> ConditionalGAN:
    """The shipped ConditionalGAN ``name`` (one of :data:`SHIPPED_NAMES`), ready to generate.

    Raises ``ValueError`` for an unknown name, and
    :class:`~acgan_lib.checkpoint.CheckpointError` when the files are missing, truncated, or
    do not belong together or to the model they claim to be.
    """
    folder = _check_name(name, directory)
    manifest = pretrained_manifest(name, folder)
    model = weights_model(manifest)
    get_spec(model)
    weights = folder / f"{name}.npz"
    latent_dim = int(manifest.get("config", {}).get("latent_dim", LATENT_DIM))
    gan = build_gan(model, latent_dim=latent_dim)
    load_gan(gan, weights, model, optimizers=False)
    expected = manifest.get("weights_sha256")
    if expected and sha256(weights) != expected:
        raise CheckpointError(
            f"{weights} is not the file that {name}.json describes (SHA-256 differs): the "
            f"weights were replaced without re-running `python -m acgan_lib ship`; run it again "
            f"on the run directory, or restore the shipped file.")
    return gan


def _count(value) -> str:
    return f"{value:,}" if isinstance(value, int) else "?"


def _data_name(data_info: dict) -> str:
    """``"MNIST (mnist.npz)"`` for a file, else the source's name (``"sample"``, ``"keras"``)."""
    if data_info.get("source") == "path":
        return f"MNIST ({Path(str(data_info.get('origin', 'mnist.npz'))).name})"
    return str(data_info.get("source", "?"))


class Loaded(NamedTuple):
    """What :func:`load_or_train` returns: ``gan, how, manifest, message = ...``."""

    gan: ConditionalGAN
    how: str  # "loaded" (a shipped checkpoint) or "trained" (here, now)
    manifest: dict
    message: str


def load_or_train(name: str, train: bool | None = None, epochs: int = 1,
                  steps_per_epoch: int | None = 300, batch_size: int = 64,
                  out: str | os.PathLike | None = None, data: MnistData | None = None,
                  directory: str | os.PathLike | None = None, verbose: int = 0,
                  **config) -> Loaded:
    """Load the shipped model ``name`` if present, else train a short run; say which.

    Args:
        name: a shipped name (:data:`SHIPPED_NAMES`) or any model of
            :data:`acgan_lib.catalogue.MODEL_SPECS`.
        train: ``True`` trains even when a checkpoint is shipped; ``None`` (default) reads
            the environment variable ``ACGAN_TRAIN`` (``1`` = train), so a whole book can be
            rebuilt from scratch without editing notebooks.
        epochs, steps_per_epoch, batch_size, config: the short run
            (:class:`~acgan_lib.runs.TrainConfig` fields such as ``seed``,
            ``learning_rate``, ``jit_compile``). Its directory is ``out`` (default
            ``runs/<name>-notebook``); running again resumes or reuses it.
        data: training data (default :func:`~acgan_lib.data.load_mnist`).

    Prints and returns the message saying what was done (``Loaded.how`` is ``"loaded"`` or
    ``"trained"``).
    """
    if train is None:
        train = os.environ.get(ENV_TRAIN, "").lower() not in ("", "0", "false", "no")
    shipped = name in available_pretrained(directory)
    if not shipped and name not in SHIPPED_NAMES:
        get_spec(name)  # an unknown name fails here, listing the known ones
    if shipped and not train:
        gan = load_pretrained(name, directory)
        manifest = pretrained_manifest(name, directory)
        data_info = manifest.get("data", {})
        message = (f"Loaded the shipped {name!r} checkpoint: trained with `{manifest.get('command')}`"
                   f" for {_count(manifest.get('steps'))} steps (batch "
                   f"{manifest.get('batch_size')}, {_count(data_info.get('train_images'))} "
                   f"{_data_name(data_info)} training images, "
                   f"{(manifest.get('wall_clock_seconds') or 0) / 60:.0f} min). "
                   f"Set train=True (or {ENV_TRAIN}=1) to train it here instead.")
        how = "loaded"
    else:
        reason = "train=True was asked" if train else "no checkpoint is shipped for it"
        model = pretrained_manifest(name, directory)["model"] if shipped else \
            SHIPPED_MODELS.get(name, name)
        cfg = TrainConfig(model=model, epochs=epochs, batch_size=batch_size, **config)
        out = Path(out) if out is not None else Path("runs") / f"{name}-notebook"
        started = time.perf_counter()
        train_run(cfg, out, data, steps_per_epoch=steps_per_epoch, verbose=verbose,
                  command=f"acgan_lib.pretrained.load_or_train({name!r}, train={train}, "
                          f"epochs={epochs}, steps_per_epoch={steps_per_epoch}, "
                          f"batch_size={batch_size})")
        gan, manifest = load_run(out)
        message = (f"Trained {name!r} here because {reason}: {manifest['steps']:,} steps of "
                   f"batch {batch_size} on {manifest['data']['train_images']:,} "
                   f"{manifest['data']['source']} images in {time.perf_counter() - started:.0f} s"
                   f" (run directory {out}). A short run like this is far from the shipped "
                   f"model's quality.")
        how = "trained"
    print(textwrap.fill(message, 76, break_on_hyphens=False))  # the book's code width
    return Loaded(gan, how, manifest, message)


class History(NamedTuple):
    """A shipped model's training history: its curve and its per-epoch sample grids."""

    curve: list  # rows of acgan_lib.curves (step, images_seen, label_accuracy, ...)
    grids: list  # uint8 pictures, one per epoch, the same fixed noise in each
    epochs: list  # the epoch of each grid


def pretrained_history(name: str, directory: str | os.PathLike | None = None) -> History:
    """The training history shipped with model ``name`` (``<name>/`` beside its weights)."""
    import cv2

    folder = _check_name(name, directory)
    files = pretrained_manifest(name, folder).get("files", {})
    if "curve" not in files or not files.get("grids"):
        raise CheckpointError(f"the shipped {name!r} has no training history; ship its run "
                              "again with `python -m acgan_lib ship` (it copies the grids and "
                              "the curve)")
    curve = read_json(folder / files["curve"], error=CheckpointError)
    grids, epochs = [], []
    for relative in files["grids"]:
        picture = cv2.imread(str(folder / relative), cv2.IMREAD_GRAYSCALE)
        if picture is None:
            raise CheckpointError(f"{folder / relative} is not a readable PNG")
        grids.append(picture)
        epochs.append(int(Path(relative).stem.rsplit("_", 1)[-1]))
    return History(curve, grids, epochs)
