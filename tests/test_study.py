"""Studies (acgan_lib.study): a smoke study on real data, and the shipped study's consistency."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from acgan_lib.pretrained import pretrained_history
from acgan_lib.study import (RESULTS_DIR, STUDIES, PlannedRun, StudyError, aggregate,
                             final_grid, grid_path, load_study, reevaluate, reproduction,
                             result_path, retrain, run_study, status, weights_path)

#: A shipped training history's grid: ten labelled rows of ten digits, at scale 1.
SHIPPED_GRID_SHAPE = pretrained_history("acgan").grids[-1].shape
SMOKE = [PlannedRun("acgan", 0, 1, 32, steps_per_epoch=4),
         PlannedRun("cgan-concat", 1, 1, 32, steps_per_epoch=4)]
#: CAS training steps in the smoke study: its scores are only checked to be recorded and
#: reproduced, so a short recipe (the study's is fidelity.CAS_STEPS) spares ~2 min of CI.
CAS = 20


@pytest.fixture(scope="module")
def smoke(mnist, tmp_path_factory):
    root = tmp_path_factory.mktemp("study")
    logs: list[str] = []
    summary = run_study(SMOKE, mnist, root / "runs", root / "results", n_per_class=100,
                        cas_steps=CAS, verbose=0, log=logs.append)
    return root, summary, logs


def test_smoke_study_trains_and_aggregates(smoke):
    root, summary, logs = smoke
    assert set(summary["runs"]) == {r.run_id for r in SMOKE}
    assert set(summary["arms"]) == {r.arm for r in SMOKE}
    for run in SMOKE:
        result = summary["runs"][run.run_id]
        assert result["steps"] == 4 and result["plan"]["seed"] == run.seed
        assert [row["step"] for row in result["curve"]][0] == 0
        assert result["curve"][-1]["step"] == 4
        assert 0 <= result["final"]["label_accuracy"] <= 1
        assert result_path(run, root / "results").is_file()
        # what it drew at its end ships beside its results, as small as a shipped history's
        grid = final_grid(run.run_id, root / "results")
        assert grid.dtype == np.uint8 and grid.shape == SHIPPED_GRID_SHAPE
    assert summary["excluded"] == []
    assert any("training into" in line for line in logs)


def test_rerun_skips_finished_runs_and_adds_no_duplicates(smoke, mnist):
    root, before, _ = smoke
    logs: list[str] = []
    after = run_study(SMOKE, mnist, root / "runs", root / "results", n_per_class=100,
                      cas_steps=CAS, verbose=0, log=logs.append)
    assert sum("results exist, skipped" in line for line in logs) == len(SMOKE)
    assert not any("training into" in line for line in logs)
    assert after["runs"].keys() == before["runs"].keys()
    assert all(len(arm["runs"]) == 1 for arm in after["arms"].values())
    assert all("finished" in line for line in status(SMOKE, root / "results", root / "runs"))


def test_a_missing_final_grid_is_written_again_without_training(smoke, mnist):
    root, _, _ = smoke
    path = grid_path(SMOKE[1].run_id, root / "results")
    before = path.read_bytes()
    path.unlink()
    with pytest.raises(StudyError, match=f"no final grid of run '{SMOKE[1].run_id}'.*"
                                         f"{SMOKE[0].run_id}"):
        final_grid(SMOKE[1].run_id, root / "results")
    logs: list[str] = []
    run_study(SMOKE, mnist, root / "runs", root / "results", n_per_class=100, cas_steps=CAS,
              verbose=0, log=logs.append)
    assert sum("wrote its final grid" in line for line in logs) == 1
    assert not any("training into" in line for line in logs)
    assert path.read_bytes() == before


def test_finished_runs_keep_their_generator_and_can_be_scored_again_from_it(smoke, mnist,
                                                                          tmp_path):
    root, summary, _ = smoke
    results = root / "results"
    for run in SMOKE:  # kept beside the results they belong to, with the fidelity scores
        assert weights_path(run.run_id, results_dir=results).is_file()
        assert {"precision", "recall", "coverage", "intra_fd", "cas"} <= set(
            summary["runs"][run.run_id]["final"])
    assert (results / "reference.json").is_file() and summary["reference"]["recall"] > 0.5
    # the real reference and the runs' CAS were trained with the same, recorded recipe
    assert summary["reference"]["cas_steps"] == CAS
    assert {summary["runs"][r.run_id]["final"]["cas_steps"] for r in SMOKE} == {CAS}
    # a copy of the results without the weights and without the run directories: --retrain
    # would have to train again; --reevaluate scores the kept generator only
    copy = tmp_path / "results"
    shutil.copytree(results, copy)
    run = SMOKE[1]
    logs: list[str] = []
    assert reevaluate([run], mnist, tmp_path / "no-runs", copy, n_per_class=100,
                      cas_steps=CAS, log=logs.append) == 1
    again = json.loads(result_path(run, copy).read_text())
    before = summary["runs"][run.run_id]
    assert again["final"]["label_accuracy"] == before["final"]["label_accuracy"]
    assert again["final"]["cas"] == before["final"]["cas"] and again["curve"] == before["curve"]
    # without kept weights, retrain takes the finished run directory and checks it reproduces
    weights_path(run.run_id, results_dir=copy).unlink()
    assert retrain([run], mnist, root / "runs", copy, n_per_class=100, cas_steps=CAS,
                   log=logs.append) == 1
    kept = json.loads(result_path(run, copy).read_text())["reproduced"]
    assert kept["label_accuracy"]["relative_difference"] == 0
    assert weights_path(run.run_id, results_dir=copy).is_file()


def test_a_retrained_run_that_differs_is_named_and_nothing_is_written():
    committed = {"label_accuracy": 0.95, "frechet_distance": 10.0}
    same = reproduction(committed, {"label_accuracy": 0.95, "frechet_distance": 10.000001},
                        "r")
    assert same["frechet_distance"]["relative_difference"] == pytest.approx(1e-7)
    with pytest.raises(StudyError, match=r"r trained again does not reproduce.*label_accuracy "
                                         r"0.95 committed, 0.951 now"):
        reproduction(committed, {"label_accuracy": 0.951, "frechet_distance": 10.0}, "r")
    with pytest.raises(StudyError, match="frechet_distance 10.0 committed, 10.001 now"):
        reproduction(committed, {"label_accuracy": 0.95, "frechet_distance": 10.001}, "r")


def test_corrupt_and_unfinished_runs_are_reported_not_averaged(smoke, tmp_path):
    root, summary, _ = smoke
    results = tmp_path / "results"
    (results / "runs").mkdir(parents=True)
    good = SMOKE[0]
    (results / "runs" / f"{good.run_id}.json").write_text(
        result_path(good, root / "results").read_text())
    (results / "runs" / "acgan-b32-e1-n4-s7.json").write_text('{"run_id": "acgan-b3')  # cut off
    wrong = json.loads(result_path(SMOKE[1], root / "results").read_text())
    (results / "runs" / "cgan-concat-b32-e1-n4-s5.json").write_text(json.dumps(wrong))
    runs_root = tmp_path / "runs"
    (runs_root / "acgan-b32-e1-n4-s9" / "checkpoints").mkdir(parents=True)  # still training
    logs: list[str] = []
    out = aggregate(results, runs_root=runs_root, log=logs.append)
    assert list(out["runs"]) == [good.run_id]
    reasons = {e["run_id"]: e["reason"] for e in out["excluded"]}
    assert "not valid JSON" in reasons["acgan-b32-e1-n4-s7"]
    assert "does not match" in reasons["cgan-concat-b32-e1-n4-s5"]
    assert "unfinished" in reasons["acgan-b32-e1-n4-s9"]
    assert out["arms"][good.arm]["metrics"]["label_accuracy"]["n"] == 1
    assert len(logs) == 3


def test_unknown_study_is_named():
    from acgan_lib.study import StudyError, get_study

    with pytest.raises(StudyError, match="unknown study 'seed'; choose one of seeds"):
        get_study("seed")


# ------------------------------------------------------------------ the shipped study
@pytest.fixture(scope="module")
def shipped():
    return load_study()


def test_shipped_study_runs_match_their_files_and_plans(shipped):
    files = {p.stem for p in (RESULTS_DIR / "runs").glob("*.json")}
    assert set(shipped["runs"]) == files and shipped["excluded"] == []
    planned = {r.run_id for plan in STUDIES.values() for r in plan}
    for run_id, result in shipped["runs"].items():
        assert run_id in planned
        assert result == json.loads((RESULTS_DIR / "runs" / f"{run_id}.json").read_text())
        assert result["data"]["train_images"] == 60000  # the full MNIST training set
        assert result["command"].startswith(("python -m acgan_lib train",
                                             "python -m acgan_lib study article-loop"))
        assert result["versions"]["keras"].startswith("3.")
        assert result["curve"][0]["step"] == 0
        assert result["curve"][-1]["step"] == result["steps"]
        assert result["evaluation_overhead"] < 0.06  # the curve costs at most ~5%


def test_shipped_final_grids_belong_to_shipped_runs(shipped):
    grids = sorted((RESULTS_DIR / "grids").glob("*.png"))
    assert {p.stem for p in grids} <= set(shipped["runs"])
    for path in grids:
        assert final_grid(path.stem).shape == SHIPPED_GRID_SHAPE


def test_shipped_aggregate_is_the_mean_and_spread_of_its_runs(shipped):
    for arm in shipped["arms"].values():
        members = [shipped["runs"][r] for r in arm["runs"]]
        seeds = [m["plan"]["seed"] for m in members]
        assert len(set(seeds)) == len(seeds)  # each seed once
        for key, stats in arm["metrics"].items():
            if key == "label_accuracy_per_class":
                continue
            values = np.array([m["final"][key] for m in members])
            assert stats["values"] == pytest.approx(values.tolist())
            assert stats["mean"] == pytest.approx(values.mean())
            assert stats["min"] == pytest.approx(values.min())
            if len(values) > 1:
                assert stats["std"] == pytest.approx(values.std(ddof=1))
