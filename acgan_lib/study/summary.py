"""A study's aggregate: every finished run's results, and each arm across its seeds.

Reads the results files the runner writes (``results/runs/<run id>.json``), checks each
against its plan, and writes ``results/study.json`` (:func:`aggregate`); what the chapters,
the evidence and the benchmark report read from it (:func:`load_study`,
:func:`time_to_quality`). Nothing here trains or evaluates a model.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from acgan_lib.curves import first_row_reaching
from acgan_lib.fidelity import FIDELITY_COLUMNS
from acgan_lib.files import read_json, write_json
from acgan_lib.study.plan import RESULTS_DIR, PlannedRun, StudyError

#: The final evaluation's scalar metrics, aggregated across seeds (the fidelity ones for the
#: arms whose every run has them).
AGGREGATED = ("label_accuracy", "frechet_distance", "diversity", "diversity_lowest",
              "aux_label_accuracy_real", *FIDELITY_COLUMNS)


def _stats(values: list[float]) -> dict:
    arr = np.asarray(values, dtype=float)
    return {"mean": float(arr.mean()),
            "std": float(arr.std(ddof=1)) if len(arr) > 1 else None,
            "min": float(arr.min()), "max": float(arr.max()), "n": int(len(arr)),
            "values": [float(v) for v in arr]}


def _check_result(result, path: Path) -> None:
    if not isinstance(result, dict):
        raise StudyError(f"{path} does not hold a run's results")
    missing = [k for k in ("run_id", "arm", "plan", "final", "curve") if k not in result]
    if missing:
        raise StudyError(f"{path} lacks {', '.join(missing)}")
    planned = PlannedRun(**result["plan"])
    if planned.run_id != result["run_id"] or path.stem != result["run_id"]:
        raise StudyError(f"{path} holds the results of {result['run_id']!r}, which does not "
                         f"match its file name or its plan ({planned.run_id!r})")
    for key in AGGREGATED[:4]:
        value = result["final"].get(key)
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            raise StudyError(f"{path}: final {key} is {value!r}, not a number")


def aggregate(results_dir=None, runs_root=None, log=print) -> dict:
    """Aggregate every readable ``runs/*.json`` of ``results_dir`` into ``study.json``.

    Unreadable or inconsistent results files, and run directories under ``runs_root`` that
    have no results (unfinished runs), are listed under ``excluded`` with the reason, and are
    left out of every mean.
    """
    results_dir = Path(results_dir or RESULTS_DIR)
    runs, excluded = {}, []
    for path in sorted((results_dir / "runs").glob("*.json")):
        try:
            result = read_json(path, error=StudyError)
            _check_result(result, path)
        except StudyError as exc:
            excluded.append({"run_id": path.stem, "reason": str(exc)})
            log(f"left out of the aggregate: {exc}")
            continue
        runs[result["run_id"]] = result
    if runs_root is not None and Path(runs_root).is_dir():
        for run_dir in sorted(p for p in Path(runs_root).iterdir() if p.is_dir()):
            if run_dir.name not in runs and not any(e["run_id"] == run_dir.name
                                                    for e in excluded):
                excluded.append({"run_id": run_dir.name,
                                 "reason": f"{run_dir} has no results yet (unfinished run)"})
                log(f"not in the aggregate yet: {run_dir} (unfinished)")
    arms: dict[str, dict] = {}
    for run_id, result in runs.items():
        arm = arms.setdefault(result["arm"], {**{k: v for k, v in result["plan"].items()
                                                 if k != "seed"}, "runs": []})
        arm["runs"].append(run_id)
    for arm in arms.values():
        members = [runs[r] for r in arm["runs"]]
        arm["seeds"] = [m["plan"]["seed"] for m in members]
        arm["metrics"] = {}
        for key in AGGREGATED:
            values = [m["final"].get(key) for m in members]
            if all(isinstance(v, (int, float)) for v in values):
                arm["metrics"][key] = _stats(values)
        arm["metrics"]["label_accuracy_per_class"] = [
            _stats([m["final"]["label_accuracy_per_class"][c] for m in members])["mean"]
            for c in range(10)]
        arm["training_seconds"] = _stats([m["training_seconds"] for m in members])
    reference = results_dir / "reference.json"
    summary = {
        "description": "Aggregate of a study's finished runs (acgan_lib.study): the ids of "
                       "the runs, each one's plan, curve and final evaluation in "
                       "runs/<id>.json beside this file (load_study reads them back); per arm "
                       "(a model at one budget) the mean, sample standard deviation (ddof=1), "
                       "min and max across seeds; the reference: real training digits scored "
                       "as if generated.",
        "final_evaluation": next((r["final"]["real_images"] for r in runs.values()), None),
        "reference": read_json(reference, error=StudyError) if reference.is_file() else None,
        "runs": runs, "arms": dict(sorted(arms.items())), "excluded": excluded,
    }
    # each run is stored once, in its runs/<id>.json: study.json names them (package size)
    write_json(results_dir / "study.json", {**summary, "runs": list(runs)})
    return summary


def time_to_quality(summary: dict, thresholds=(0.9, 0.95)) -> dict:
    """For each arm: when each run's curve first reached each label-accuracy threshold.

    Per run: the training images and training seconds (without the evaluations) at the first
    curve row at or above the threshold, or ``None`` when the run never got there (the curve
    measures 100 images per digit, so it can differ by a point or two from the final
    evaluation's 500). Per arm: how many seeds got there, and the median images and minutes
    over those that did.
    """
    arms = {}
    for arm_id, arm in summary["arms"].items():
        curves = [summary["runs"][r]["curve"] for r in arm["runs"]]
        entry = {"model": arm["model"], "epochs": arm["epochs"], "batch_size": arm["batch_size"],
                 "seeds": len(arm["runs"]), "thresholds": {},
                 # the best any of its curves did, for the arms that reach no threshold
                 "best_label_accuracy": max(r["label_accuracy"] for c in curves for r in c),
                 "images": max(c[-1]["images_seen"] for c in curves),
                 # the longest run's training time (evaluations excluded), for its whole budget
                 "minutes": round(max(c[-1]["training_seconds"] for c in curves) / 60, 1)}
        for threshold in thresholds:
            reached = []
            for run_id in arm["runs"]:
                run = summary["runs"][run_id]
                row = first_row_reaching(run["curve"], "label_accuracy", threshold)
                reached.append(None if row is None else {
                    "run_id": run_id, "step": row["step"], "images": row["images_seen"],
                    "minutes": round(row["training_seconds"] / 60, 2),
                    "images_per_second": run["images_per_second"]})
            got = [r for r in reached if r is not None]
            entry["thresholds"][f"{threshold:.2f}"] = {
                "reached": len(got), "runs": reached,
                "median_images": float(np.median([r["images"] for r in got])) if got else None,
                "median_minutes": float(np.median([r["minutes"] for r in got])) if got else None,
            }
        arms[arm_id] = entry
    return arms


def load_study(path=None) -> dict:
    """The shipped aggregate (``acgan_lib/results/study.json``) or the one at ``path``, with
    each run's results read from ``runs/<id>.json`` beside it, as :func:`aggregate` returns
    it."""
    path = Path(path) if path else RESULTS_DIR / "study.json"
    summary = read_json(path, error=StudyError)
    folder = path.parent / "runs"
    summary["runs"] = {run_id: read_json(folder / f"{run_id}.json", error=StudyError)
                       for run_id in summary["runs"]}
    return summary
