"""Training, evaluating and keeping a study's runs: what writes a finished run's results.

Trains (or resumes) each planned run (:func:`train_planned_run`), gives it its final
evaluation (:func:`final_evaluation`), writes its results, final grid and generator weights
the moment it finishes (:func:`run_study`), and aggregates again after each
(:func:`acgan_lib.study.summary.aggregate`). A run committed without its weights is trained
again and must reproduce its results (:func:`retrain`); a change to the evaluation is applied
to finished runs without training (:func:`reevaluate`).
"""

from __future__ import annotations

import time
from pathlib import Path

import keras
import numpy as np

from acgan_lib.article_run import ARTICLE_LOOP, train_article_loop
from acgan_lib.catalogue import build_gan
from acgan_lib.checkpoint import load_generator, read_npz, save_generator
from acgan_lib.curves import read_curve
from acgan_lib.evaluation import evaluate_generator, evaluate_real
from acgan_lib.fidelity import CAS_STEPS, fidelity_real, fidelity_scores
from acgan_lib.files import read_json, write_json
from acgan_lib.pretrained import SHIPPED_NAMES, load_pretrained, pretrained_manifest
from acgan_lib.runs import load_run, train_run, weights_model
from acgan_lib.study.plan import (RESULTS_DIR, RUNS_ROOT, PlannedRun, StudyError, _finished,
                                  grid_path, result_path, weights_path)
from acgan_lib.study.summary import aggregate
from acgan_lib.viz import compact_grid, save_png

FINAL_N_PER_CLASS = 500
#: What a run trained again must reproduce (training is deterministic on a CPU), and the
#: relative tolerance of each: label accuracy is a count, so exactly; the Frechet distance to
#: 1e-6, because the classifier's float32 features of the very same images differ in their last
#: bits from one CPU to another (seen: 4e-8 relative, on bit-identical weights and pixels).
REPRODUCED = {"label_accuracy": 0.0, "frechet_distance": 1e-6}


def save_final_grid(run: PlannedRun, run_dir, results_dir=None) -> Path | None:
    """Ship what a finished run draws: its last per-epoch grid (the fixed noise of every epoch's
    grid, rows labelled), at scale 1, beside its results. ``None`` if the run saved no grid."""
    grids = sorted((Path(run_dir) / "grids").glob("grid_epoch_*.png"))
    if not grids:
        return None
    return save_png(compact_grid(grids[-1]), grid_path(run.run_id, results_dir), scale=1)


def final_grid(run_id: str, results_dir=None) -> np.ndarray:
    """The grid a study run drew at its end (:func:`save_final_grid`), as a uint8 picture."""
    import cv2

    path = grid_path(run_id, results_dir)
    picture = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE) if path.is_file() else None
    if picture is None:
        shipped = sorted(p.stem for p in path.parent.glob("*.png"))
        raise StudyError(f"no final grid of run {run_id!r} ships in {path.parent}; runs that "
                         f"have one: {', '.join(shipped) or 'none'}. Run its study again where "
                         "its run directory is: it writes the grid of every finished run")
    return picture


def _strip(row: dict) -> dict:
    """A curve row without its confusion matrix (kept only in the final evaluation)."""
    return {k: v for k, v in row.items() if k != "confusion_matrix"}


def keep_weights(run: PlannedRun, gan, model: str, weights_root=None, results_dir=None) -> Path:
    """Keep a finished run's generator (``model``: the architecture its weights fit)."""
    return save_generator(gan, weights_path(run.run_id, weights_root, results_dir), model,
                          extra={"run_id": run.run_id, "plan": run.to_dict()})


def load_kept(run_id: str, weights_root=None, results_dir=None):
    """The ConditionalGAN of a finished run, its generator from the kept weights (its
    discriminator is untrained: only generator metrics can be computed from it)."""
    path = weights_path(run_id, weights_root, results_dir)
    if not path.is_file():
        raise StudyError(f"no kept weights of run {run_id!r} at {path}; train it again with "
                         f"`python -m acgan_lib study <study> --retrain --data mnist.npz`")
    header, _ = read_npz(path)
    gan = build_gan(header["model"])
    load_generator(gan, path, header["model"])
    return gan


def final_evaluation(gan, data, n_per_class: int = FINAL_N_PER_CLASS,
                     generator_only: bool = False, cas_steps: int = CAS_STEPS) -> dict:
    """A run's final evaluation: label accuracy, Frechet distance, diversity (and, from a whole
    ACGAN, its auxiliary classifier on real digits), then the fidelity and coverage scores
    (:mod:`acgan_lib.fidelity`, CAS trained for ``cas_steps``), on ``n_per_class`` images per
    digit, seed 0."""
    started = time.perf_counter()
    final = evaluate_generator(gan.generator if generator_only else gan, data, n_per_class,
                               seed=0)
    middle = time.perf_counter()
    final.update(fidelity_scores(gan, data, n_per_class, seed=0, cas_steps=cas_steps))
    final["fidelity_seconds"] = round(time.perf_counter() - middle, 1)
    final["evaluation_seconds"] = round(middle - started, 1)
    return final


def collect_result(run: PlannedRun, run_dir, data, n_per_class: int = FINAL_N_PER_CLASS,
                   loaded=None, cas_steps: int = CAS_STEPS) -> dict:
    """The results of a finished run: plan, how it was trained, its curve, its final evaluation
    (:func:`final_evaluation`, ``n_per_class`` images per digit). ``loaded``: the run's
    ``(gan, manifest)`` when the caller has already loaded them (:func:`runs.load_run`)."""
    gan, manifest = loaded or load_run(run_dir)
    curve = read_curve(run_dir)
    started = time.perf_counter()
    final = final_evaluation(gan, data, n_per_class, cas_steps=cas_steps)
    training = curve[-1]["training_seconds"] if curve else manifest["wall_clock_seconds"]
    evaluating = sum(r["evaluation_seconds"] for r in curve)
    return {
        "run_id": run.run_id, "arm": run.arm, "plan": run.to_dict(),
        "command": run.command(), "data": manifest["data"],
        "steps": manifest["steps"], "steps_per_epoch": manifest["steps_per_epoch"],
        "images_seen": manifest["images_seen"],
        "wall_clock_seconds": manifest["wall_clock_seconds"],
        "training_seconds": training,
        "evaluation_seconds": round(evaluating, 1),
        "evaluation_overhead": round(evaluating / training, 4) if training else None,
        "images_per_second": manifest["images_per_second"],
        "versions": manifest["versions"],
        "final": final,
        "final_seconds": round(time.perf_counter() - started, 1),
        "curve": [_strip(r) for r in curve],
    }


def reproduction(committed: dict, final: dict, run_id: str) -> dict:
    """Check that ``final`` reproduces the ``committed`` final evaluation of ``run_id``
    (:data:`REPRODUCED`: label accuracy exactly, the Frechet distance to a relative 1e-6);
    each value compared and its relative difference, or :class:`StudyError` naming each
    difference."""
    compared, differs = {}, []
    for key, tolerance in REPRODUCED.items():
        was, now = committed.get(key), final.get(key)
        relative = abs(now - was) / abs(was) if was else abs(now - was)
        compared[key] = {"committed": was, "now": now, "relative_difference": relative}
        if relative > tolerance:
            differs.append(f"{key} {was!r} committed, {now!r} now")
    if differs:
        raise StudyError(f"{run_id} trained again does not reproduce its committed results: "
                         f"{'; '.join(differs)}. Nothing was written; compare the versions in "
                         "its results file with this machine's (TensorFlow, Keras, CPU)")
    return compared


def write_reference(data, results_dir=None, n_per_class: int = FINAL_N_PER_CLASS,
                    cas_steps: int = CAS_STEPS) -> dict:
    """Score real training digits as if they were generated, at the final evaluation's sizes,
    into ``results/reference.json``: the row every model's scores are read against."""
    started = time.perf_counter()
    reference = evaluate_real(data, n_per_class, seed=0)
    reference.update(fidelity_real(data, n_per_class, seed=0, cas_steps=cas_steps))
    reference["seconds"] = round(time.perf_counter() - started, 1)
    reference["data"] = data.description
    write_json(Path(results_dir or RESULTS_DIR) / "reference.json", reference)
    return reference


def _ensure_reference(data, results_dir, n_per_class: int, log,
                      cas_steps: int = CAS_STEPS) -> None:
    """Score the real digits again unless ``reference.json`` was scored at these sizes (a
    reference from before ``cas_steps`` was recorded used :data:`CAS_STEPS`)."""
    path = Path(results_dir or RESULTS_DIR) / "reference.json"
    try:
        reference = read_json(path)
        current = (reference.get("n_per_class") == n_per_class
                   and reference.get("cas_steps", CAS_STEPS) == cas_steps)
    except (ValueError, FileNotFoundError, OSError):
        current = False
    if not current:
        log(f"scoring real digits for the reference ({n_per_class} per digit, CAS trained "
            f"for {cas_steps} steps)")
        write_reference(data, results_dir, n_per_class, cas_steps)


def train_planned_run(run: PlannedRun, run_dir: Path, data, verbose: int = 2) -> dict:
    """Train (or resume) one planned run into ``run_dir``; its manifest."""
    if run.model == ARTICLE_LOOP:
        return train_article_loop(run_dir, data, run.epochs, run.batch_size, run.seed,
                                  run.steps_per_epoch, command=run.command(),
                                  verbose=verbose > 0)
    return train_run(run.config(), run_dir, data, steps_per_epoch=run.steps_per_epoch,
                     command=run.command(), verbose=verbose)


def run_study(runs: list[PlannedRun], data, runs_root=None, results_dir=None,
              n_per_class: int = FINAL_N_PER_CLASS, verbose: int = 2,
              log=print, weights_root=None, cas_steps: int = CAS_STEPS) -> dict:
    """Train every run of ``runs`` whose results do not exist yet, then aggregate.

    ``n_per_class`` and ``cas_steps`` size the final evaluation and the real reference
    (smaller only for smoke tests).

    Each finished run's results and generator weights (:func:`keep_weights`) are written
    before the next run starts. Returns the aggregate (also written to
    ``results_dir/study.json``).
    """
    runs_root = Path(runs_root or RUNS_ROOT)
    results_dir = Path(results_dir or RESULTS_DIR)
    if len({r.run_id for r in runs}) != len(runs):
        raise StudyError("the plan lists a run twice")
    _ensure_reference(data, results_dir, n_per_class, log, cas_steps)
    for i, run in enumerate(runs, start=1):
        target = result_path(run, results_dir)
        run_dir = runs_root / run.run_id
        if target.is_file():
            if (not grid_path(run.run_id, results_dir).is_file() and _finished(run_dir, run)
                    and save_final_grid(run, run_dir, results_dir)):
                log(f"[{i}/{len(runs)}] {run.run_id}: results exist; wrote its final grid")
            else:
                log(f"[{i}/{len(runs)}] {run.run_id}: results exist, skipped")
            continue
        started = time.perf_counter()
        if _finished(run_dir, run):
            log(f"[{i}/{len(runs)}] {run.run_id}: trained; evaluating")
        else:
            log(f"[{i}/{len(runs)}] {run.run_id}: training into {run_dir}")
            train_planned_run(run, run_dir, data, verbose)
        gan, manifest = load_run(run_dir)
        result = collect_result(run, run_dir, data, n_per_class, loaded=(gan, manifest),
                                cas_steps=cas_steps)
        save_final_grid(run, run_dir, results_dir)
        keep_weights(run, gan, weights_model(manifest), weights_root, results_dir)
        write_json(target, result)
        final = result["final"]
        log(f"[{i}/{len(runs)}] {run.run_id}: label accuracy {final['label_accuracy']:.4f}, "
            f"Frechet distance {final['frechet_distance']:.2f}, lowest diversity "
            f"{final['diversity_lowest']:.3f}; {time.perf_counter() - started:.0f} s; "
            f"wrote {target}")
        aggregate(results_dir, log=lambda m: None)  # the shipped aggregate is always current
        keras.backend.clear_session()
    return aggregate(results_dir, log=log)


def _shipped_run_ids() -> dict[str, str]:
    """Study run id -> the shipped model trained by that run (from its manifest's command)."""
    found = {}
    for name in SHIPPED_NAMES:
        out = pretrained_manifest(name)["command"].rpartition("--out ")[2].strip()
        found[Path(out).name] = name
    return found


def _retrained(run: PlannedRun, runs_root: Path, data, verbose: int, log):
    """The ConditionalGAN of ``run`` and the model its weights fit: from its finished run
    directory, from the shipped model that run produced, or trained again into ``runs_root``."""
    run_dir = runs_root / run.run_id
    if not _finished(run_dir, run):
        shipped = _shipped_run_ids().get(run.run_id)
        if shipped is not None:
            log(f"{run.run_id}: the shipped model {shipped!r} is this run's generator")
            return load_pretrained(shipped), weights_model(pretrained_manifest(shipped))
        log(f"{run.run_id}: training again into {run_dir}")
        train_planned_run(run, run_dir, data, verbose)
    gan, manifest = load_run(run_dir)
    return gan, weights_model(manifest)


def retrain(runs: list[PlannedRun], data, runs_root=None, results_dir=None,
            weights_root=None, n_per_class: int = FINAL_N_PER_CLASS, verbose: int = 2,
            log=print, cas_steps: int = CAS_STEPS) -> int:
    """Keep the generator weights of finished runs whose results were committed without them.

    Each such run is taken from its finished run directory, or from the shipped model it
    produced, or trained again; it must reproduce its committed final label accuracy and
    Frechet distance exactly (:func:`reproduction`). Then its weights are kept and its final
    evaluation gains the fidelity scores (its curve, measured during training, is kept).
    Returns how many runs were done.
    """
    runs_root = Path(runs_root or RUNS_ROOT)
    _ensure_reference(data, results_dir, n_per_class, log, cas_steps)
    done = 0
    for run in runs:
        target = result_path(run, results_dir)
        kept = weights_path(run.run_id, weights_root, results_dir)
        if not target.is_file() or kept.is_file():
            continue
        old = read_json(target, error=StudyError)
        gan, model = _retrained(run, runs_root, data, verbose, log)
        final = final_evaluation(gan, data, n_per_class, cas_steps=cas_steps)
        old["reproduced"] = reproduction(old["final"], final, run.run_id)
        keep_weights(run, gan, model, weights_root, results_dir)
        write_json(target, {**old, "final": final})
        fid = old["reproduced"]["frechet_distance"]["relative_difference"]
        log(f"{run.run_id}: reproduced its committed label accuracy "
            f"{final['label_accuracy']:.4f} exactly and Frechet distance "
            f"{final['frechet_distance']:.4f} (relative difference {fid:.1e}); weights kept; "
            f"recall {final['recall']:.3f}, coverage {final['coverage']:.3f}, "
            f"CAS {final['cas']:.4f}")
        aggregate(results_dir, log=lambda m: None)
        keras.backend.clear_session()
        done += 1
    return done


def reevaluate(runs: list[PlannedRun], data, runs_root=None, results_dir=None,
               n_per_class: int = FINAL_N_PER_CLASS, log=print, weights_root=None,
               cas_steps: int = CAS_STEPS) -> int:
    """Recompute the final evaluation of finished runs (after a change to the evaluation
    code) from their kept generator weights, or from their run directories where those are
    here; their curves are kept, and so is an ACGAN's auxiliary accuracy when only its
    generator was kept. Returns how many were redone."""
    runs_root = Path(runs_root or RUNS_ROOT)
    _ensure_reference(data, results_dir, n_per_class, log, cas_steps)
    done = 0
    for run in runs:
        target, run_dir = result_path(run, results_dir), runs_root / run.run_id
        if not target.is_file():
            continue
        old = read_json(target, error=StudyError)
        if _finished(run_dir, run):
            new = collect_result(run, run_dir, data, n_per_class, cas_steps=cas_steps)
            new["curve"] = old["curve"]  # measured during training: cannot be redone
        elif weights_path(run.run_id, weights_root, results_dir).is_file():
            gan = load_kept(run.run_id, weights_root, results_dir)
            final = final_evaluation(gan, data, n_per_class, generator_only=True,
                                     cas_steps=cas_steps)
            if "aux_label_accuracy_real" in old["final"]:
                final["aux_label_accuracy_real"] = old["final"]["aux_label_accuracy_real"]
            new = {**old, "final": final}
        else:
            continue
        write_json(target, new)
        log(f"{run.run_id}: final evaluation recomputed")
        done += 1
    return done
