"""Shipping a finished run: evaluate it and copy its weights, manifest and training history
into ``acgan_lib/pretrained/`` (``python -m acgan_lib ship RUN --data mnist.npz``), within the
size limits that keep the installed package small."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from acgan_lib.checkpoint import CheckpointError
from acgan_lib.classifier import CLASSIFIER_PATH
from acgan_lib.curves import CURVE_FILE
from acgan_lib.data import DataSourceError, MnistData, load_mnist
from acgan_lib.evaluation import evaluate_generator
from acgan_lib.files import sha256, write_bytes, write_json
from acgan_lib.pretrained import SHIPPED_NAME, pretrained_dir
from acgan_lib.runs import check_run_dir, load_run
from acgan_lib.viz import compact_grid, make_animation, save_png

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_TOTAL_BYTES = 25 * 1024 * 1024


def _package_size(directory: Path) -> int:
    """Bytes of everything shipped in ``directory`` (weights, manifests, training histories)."""
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())


def ship_history(run_dir: Path, target: Path) -> dict:
    """Copy a run's training history into ``target``: the per-epoch grids (scale 1, labelled),
    their animation, and the curve. Returns the shipped files, relative to ``target``'s parent."""
    grids = sorted((run_dir / "grids").glob("grid_epoch_*.png"))
    if not grids:
        return {}
    try:  # read every grid before anything is removed or written
        pictures = [compact_grid(g) for g in grids]
    except ValueError as exc:
        raise CheckpointError(str(exc)) from None
    if target.exists():
        shutil.rmtree(target)
    written = [save_png(p, target / g.name, scale=1) for p, g in zip(pictures, grids)]
    files = {"grids": [f"{target.name}/{p.name}" for p in written]}
    make_animation(written, target / "training.gif")
    files["animation"] = f"{target.name}/training.gif"
    if (run_dir / CURVE_FILE).is_file():
        write_bytes(target / CURVE_FILE, (run_dir / CURVE_FILE).read_bytes())
        files["curve"] = f"{target.name}/{CURVE_FILE}"
    return files


def ship_run(run_dir: str | os.PathLike, name: str | None = None, data: MnistData | None = None,
             dest: str | os.PathLike | None = None, n_per_class: int = 500, seed: int = 0,
             command: str | None = None, offline_check: bool = True) -> dict:
    """Evaluate a finished run and copy it to ``dest/<name>.npz`` + ``dest/<name>.json``.

    The JSON is the run's manifest plus ``evaluation`` (:func:`evaluate_generator` on
    ``data``'s test set with ``n_per_class`` images per digit) and, when the offline sample is
    available, ``evaluation_offline_sample`` (100 per digit, seed 0, on the sample's held-out
    images: what the tests re-compute without the full data set). Refuses files over 5 MB or
    a folder over 25 MB. The run's training history (per-epoch grids, animation, curve) is
    shipped too, in ``dest/<name>/`` (:func:`ship_history`).
    """
    run_dir = check_run_dir(run_dir)
    gan, manifest = load_run(run_dir)
    name = name or manifest["model"]
    if not SHIPPED_NAME.match(name) or name == "classifier":
        raise ValueError(f"cannot ship under the name {name!r}; use a lowercase word like "
                         "'acgan'")
    dest = pretrained_dir(dest)
    dest.mkdir(parents=True, exist_ok=True)
    weights = run_dir / "weights.npz"
    size = weights.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ValueError(f"{weights} is {size / 2**20:.1f} MB, over the 5 MB limit per file")
    others = _package_size(dest) - sum(
        p.stat().st_size for p in [dest / f"{name}.npz", dest / f"{name}.json",
                                   *(dest / name).rglob("*")] if p.is_file())
    if others + size > MAX_TOTAL_BYTES:
        raise ValueError(f"shipping {name} would bring {dest} to "
                         f"{(others + size) / 2**20:.1f} MB, over the 25 MB limit")

    data = data if data is not None else load_mnist(verbose=False)
    evaluation = evaluate_generator(gan, data, n_per_class, seed)
    classifier_hash = sha256(CLASSIFIER_PATH) if CLASSIFIER_PATH.is_file() else None
    shipped = {**manifest, "name": name}
    shipped["run_files"] = manifest.get("files", {})
    shipped["files"] = {"weights": f"{name}.npz", **ship_history(run_dir, dest / name)}
    shipped["weights_sha256"] = sha256(weights)
    shipped["weights_bytes"] = size
    shipped["evaluation"] = evaluation
    if offline_check:
        try:
            sample = load_mnist(source="sample", verbose=False)
            shipped["evaluation_offline_sample"] = evaluate_generator(gan, sample, 100, 0)
        except DataSourceError as exc:
            shipped["evaluation_offline_sample"] = {"skipped": str(exc)}
    shipped["shipped"] = {"name": name, "command": command or "acgan_lib.shipping.ship_run(...)",
                          "from_run": run_dir.name, "classifier_sha256": classifier_hash,
                          "evaluated_on": evaluation["real_images"]}
    write_bytes(dest / f"{name}.npz", weights.read_bytes())
    write_json(dest / f"{name}.json", shipped)
    return shipped

