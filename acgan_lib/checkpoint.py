"""Weights-only checkpoints: plain ``.npz`` arrays plus a JSON header, written atomically.

Nothing here unpickles: files are read with ``numpy.load(allow_pickle=False)``, so a checkpoint
cannot run code when loaded. Each file records which model it belongs to; loading checks every
array's name and shape and explains any mismatch instead of failing deep inside Keras.

Writes are atomic (:func:`acgan_lib.files.atomic_write`): a kill at any moment leaves either the
old file or the new one, never half of one. A kill during a write can leave the temporary file
(``.ckpt-NNNNNN.npz.XXXXXXXX.tmp``); :func:`list_checkpoints` never returns it, and
:func:`remove_stale_temporaries` deletes it when training starts again.

Resuming a ``fit()`` of your own (``train_run`` and the CLI do all of this for you)::

    gan = build_gan("acgan", seed=0)
    start = restore_latest(gan, "ckpts", "acgan")   # 0 when there is no checkpoint yet
    step = int(gan.g_optimizer.iterations.numpy())  # batches already trained on
    dataset = make_dataset(images, labels, 64, seed=0, repeat=True).skip(step)
    gan.fit(dataset, epochs=10, steps_per_epoch=100, initial_epoch=start,
            callbacks=[GANCheckpoint("ckpts", "acgan")])
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from pathlib import Path

import numpy as np

from acgan_lib.files import TEMPORARY_PATTERN, atomic_write

FORMAT = "acgan_lib-weights-v1"
_HEADER = "__header__"
CHECKPOINT_PATTERN = re.compile(r"^ckpt-(\d{6})\.npz$")


class CheckpointError(ValueError):
    """A checkpoint is missing, corrupt, truncated, or belongs to another model."""


class UnreadableCheckpointError(CheckpointError):
    """A file that is not a readable acgan_lib weights file (corrupt, truncated, pickled)."""


def named_variables(prefix: str, variables) -> dict:
    return {f"{prefix}/{i:03d}:{v.path}": v for i, v in enumerate(variables)}


def gan_variables(gan, optimizers: bool = True) -> dict:
    """Name -> variable for a ConditionalGAN's networks and (optionally) both optimizers."""
    out = {}
    out.update(named_variables("generator", gan.generator.weights))
    out.update(named_variables("discriminator", gan.discriminator.weights))
    if optimizers:
        out.update(named_variables("d_optimizer", gan.d_optimizer.variables))
        out.update(named_variables("g_optimizer", gan.g_optimizer.variables))
    return out


def atomic_savez(path: str | os.PathLike, arrays: dict, header: dict) -> Path:
    """Write ``arrays`` and a JSON ``header`` to ``path`` atomically (:func:`files.atomic_write`)."""
    payload = {_HEADER: np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)}
    payload.update({k: np.asarray(v) for k, v in arrays.items()})
    with atomic_write(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **payload)
    return Path(path)


def read_npz(path: str | os.PathLike) -> tuple[dict, dict]:
    """``(header, arrays)`` of a file written by :func:`atomic_savez`; clear errors otherwise."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except ValueError as exc:
        if "Object arrays" in str(exc):
            raise UnreadableCheckpointError(
                f"{path} holds a pickled (object) array; acgan_lib only loads weights-only files "
                "(numeric arrays), because unpickling can run code. Re-save it with save_gan."
            ) from exc
        if "pickled data" in str(exc):
            raise UnreadableCheckpointError(
                f"{path} is corrupt or truncated: it is not an .npz archive (numpy would have to "
                "unpickle it, which acgan_lib never does because it can run code); delete it and "
                "use an earlier checkpoint, or retrain."
            ) from exc
        raise UnreadableCheckpointError(
            f"{path} is corrupt or truncated ({type(exc).__name__}: {exc}); delete it and use an "
            "earlier checkpoint, or retrain."
        ) from exc
    except (zipfile.BadZipFile, EOFError, OSError, KeyError) as exc:
        raise UnreadableCheckpointError(
            f"{path} is corrupt or truncated ({type(exc).__name__}: {exc}); delete it and use an "
            "earlier checkpoint, or retrain."
        ) from exc
    if _HEADER not in arrays:
        raise UnreadableCheckpointError(f"{path} is not an acgan_lib weights file (no header)")
    try:
        header = json.loads(arrays.pop(_HEADER).tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UnreadableCheckpointError(f"{path} has a corrupt header ({exc})") from exc
    if header.get("format") != FORMAT:
        raise UnreadableCheckpointError(
            f"{path} has format {header.get('format')!r}, expected {FORMAT!r}")
    return header, arrays


def _canonical(name: str) -> str:
    """A saved name without the optimizer's own auto-numbered name.

    Keras numbers optimizers per process (``adam``, ``adam_1``, ...), so the same optimizer
    variable is ``adam/...`` in one process and ``adam_12/...`` in a notebook that built more
    models; position and variable name identify it.
    """
    prefix, _, rest = name.partition("/")
    if prefix in ("d_optimizer", "g_optimizer") and ":" in rest:
        index, _, var_path = rest.partition(":")
        return f"{prefix}/{index}:{var_path.rsplit('/', 1)[-1]}"
    return name


def assign_arrays(variables: dict, arrays: dict, path, model: str) -> None:
    """Copy ``arrays`` into ``variables`` (same names), checking names and shapes first."""
    by_canonical = {_canonical(k): v for k, v in arrays.items()}
    arrays = {k: arrays[k] if k in arrays else by_canonical.get(_canonical(k))
              for k in variables}
    arrays = {k: v for k, v in arrays.items() if v is not None}
    missing = [k for k in variables if k not in arrays]
    if missing:
        raise CheckpointError(
            f"{path} does not match the model {model!r}: {len(missing)} weight(s) missing, e.g. "
            f"{missing[0]!r}. Was it saved from another model type?"
        )
    for name, var in variables.items():
        if tuple(arrays[name].shape) != tuple(var.shape):
            raise CheckpointError(
                f"{path}: weight {name!r} has shape {arrays[name].shape}, the model {model!r} "
                f"expects {tuple(var.shape)}. Was it saved from another model type?"
            )
    for name, var in variables.items():
        var.assign(arrays[name].astype(var.dtype))


def save_gan(gan, path, model: str, optimizers: bool = False, extra: dict | None = None) -> Path:
    """Save a ConditionalGAN's weights (and optimizer state, for resuming) to ``path``."""
    variables = gan_variables(gan, optimizers=optimizers)
    header = {"format": FORMAT, "model": model, "optimizers": optimizers, **(extra or {})}
    return atomic_savez(path, {k: v.numpy() for k, v in variables.items()}, header)


def load_gan(gan, path, model: str, optimizers: bool | None = None) -> dict:
    """Load weights saved by :func:`save_gan` into ``gan``; returns the file's header.

    Raises :class:`CheckpointError` if the file is missing, corrupt, truncated or was saved
    from another model type. ``optimizers=None`` restores optimizer state when the file has it.
    """
    header, arrays = read_npz(path)
    if header.get("model") != model:
        raise CheckpointError(
            f"{path} holds a {header.get('model')!r} model, not {model!r}; load it with "
            f"model={header.get('model')!r} or pick the checkpoint of a {model!r} run."
        )
    if optimizers is None:
        optimizers = bool(header.get("optimizers"))
    if optimizers and not header.get("optimizers"):
        raise CheckpointError(f"{path} has no optimizer state, so training cannot resume from it")
    assign_arrays(gan_variables(gan, optimizers=optimizers), arrays, path, model)
    return header


def save_generator(gan, path, model: str, extra: dict | None = None) -> Path:
    """Save only the generator's weights: what every later metric needs, at about half the
    size of both networks (a study keeps one such file per finished run)."""
    variables = named_variables("generator", gan.generator.weights)
    header = {"format": FORMAT, "model": model, "networks": "generator", **(extra or {})}
    return atomic_savez(path, {k: v.numpy() for k, v in variables.items()}, header)


def load_generator(gan, path, model: str) -> dict:
    """Load the generator of ``gan`` from a file of :func:`save_generator` (or of
    :func:`save_gan`, whose generator weights are read and the rest ignored); its header."""
    header, arrays = read_npz(path)
    if header.get("model") != model:
        raise CheckpointError(
            f"{path} holds the generator of a {header.get('model')!r} model, not {model!r}; "
            f"build a {header.get('model')!r} model to load it.")
    variables = named_variables("generator", gan.generator.weights)
    assign_arrays(variables, {k: v for k, v in arrays.items() if k.startswith("generator/")},
                  path, model)
    return header


def list_checkpoints(directory) -> list[Path]:
    """Complete checkpoints ``ckpt-NNNNNN.npz`` in ``directory``, oldest first."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = [p for p in directory.iterdir() if CHECKPOINT_PATTERN.match(p.name)]
    return sorted(found, key=lambda p: int(CHECKPOINT_PATTERN.match(p.name).group(1)))


def checkpoint_path(directory, epoch: int) -> Path:
    return Path(directory) / f"ckpt-{epoch:06d}.npz"


def prune_checkpoints(directory, keep: int) -> None:
    """Delete all but the newest ``keep`` complete checkpoints in ``directory``."""
    for old in list_checkpoints(directory)[:-keep]:
        old.unlink()


def remove_stale_temporaries(directory) -> list[Path]:
    """Delete temporary files that a killed write left in ``directory``; returns their paths.

    Only the names that :func:`acgan_lib.files.atomic_write` gives its temporary files
    (``.<name>.XXXXXXXX.tmp``) are touched. Call it only when no other process is writing
    into ``directory``.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return []
    stale = [p for p in directory.iterdir() if p.is_file() and TEMPORARY_PATTERN.match(p.name)]
    for p in stale:
        p.unlink()
    return stale


def resume_latest(gan, directory, model: str, verbose: bool = True,
                  skip_corrupt: bool = True) -> tuple[Path, dict] | None:
    """Restore ``gan`` (networks and optimizers) from the newest complete checkpoint.

    Returns ``(path, header)``, or ``None`` when ``directory`` holds no checkpoint. A newest file
    that cannot be read (damaged after it was written, e.g. by a full disk or a copy) is
    reported and skipped in favour of the one before it when ``skip_corrupt``; a checkpoint of
    another model type is always an error, and so is a folder whose checkpoints are all
    unreadable (delete them to start over).
    """
    found = load_newest(directory, lambda path: load_gan(gan, path, model, optimizers=True),
                        skip_corrupt)
    if found and verbose:
        path, header = found
        print(f"Resuming from {path} (epoch {header.get('epoch')}, step {header.get('step')}).")
    return found


def load_newest(directory, load, skip_corrupt: bool = True) -> tuple[Path, dict] | None:
    """``(path, load(path))`` for the newest checkpoint in ``directory`` that ``load`` can read
    (``load`` restores it and returns its header), or ``None`` when there is none.

    An unreadable newest file is reported and skipped in favour of the one before it when
    ``skip_corrupt``; a folder whose checkpoints are all unreadable is an error.
    """
    found = list_checkpoints(directory)
    for path in reversed(found):
        try:
            return path, load(path)
        except UnreadableCheckpointError as exc:
            if not skip_corrupt:
                raise
            print(f"Skipping unreadable checkpoint {path}: {exc}")
    if found:
        raise CheckpointError(
            f"none of the {len(found)} checkpoint(s) in {directory} can be read; delete them to "
            "train from the start."
        )
    return None


def restore_latest(gan, directory, model: str, verbose: bool = True) -> int:
    """Restore ``gan`` from the newest checkpoint in ``directory``; the epochs it had completed.

    Returns 0 (and changes nothing) when there is no checkpoint yet, so the result can be passed
    straight to ``fit(initial_epoch=...)``. Both networks, both optimizers and the step counter
    (``gan.g_optimizer.iterations``, which also seeds the training noise) are restored; skip
    that many batches of a repeated dataset to continue the same order of batches.
    """
    found = resume_latest(gan, directory, model, verbose=verbose)
    return 0 if found is None else int(found[1].get("epoch", 0))
