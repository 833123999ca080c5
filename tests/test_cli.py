"""The command line end to end, on the offline MNIST sample."""

import csv
import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

from acgan_lib.cli import main


def test_train_end_to_end_in_a_subprocess(tmp_path):
    out = tmp_path / "run"
    env = {**os.environ, "ACGAN_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, "-m", "acgan_lib", "train", "--epochs", "2", "--steps-per-epoch", "3",
         "--no-xla", "--quiet", "--out", str(out)],
        capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "MNIST from sample" in result.stdout  # it says which data it used
    assert f"one row per digit 0-9: {out / 'grids'}" in result.stdout  # where its pictures are
    assert "Label accuracy " in result.stdout  # and what they mean, measured
    grids = sorted((out / "grids").glob("grid_epoch_*.png"))
    assert [p.name for p in grids] == ["grid_epoch_001.png", "grid_epoch_002.png"]
    picture = cv2.imread(str(grids[-1]), cv2.IMREAD_GRAYSCALE)
    # 10 x 10 digits of 28 px, 2 px apart, a 14 px margin with the row labels, scaled x2
    assert picture.shape == (2 * 302, 2 * (14 + 302))
    assert picture[:, :28].min() < 128  # the margin has the digits written in it
    rows = list(csv.DictReader(open(out / "metrics.csv")))
    assert len(rows) == 2 and {"d_loss", "g_loss", "label_accuracy_fake"} <= set(rows[0])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["steps"] == 6 and manifest["data"]["source"] == "sample"
    assert manifest["command"].startswith("python -m acgan_lib train --epochs 2")
    assert (out / "weights.npz").is_file() and (out / "training.gif").is_file()


def test_generate_from_a_run(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--model", "cgan-concat", "--epochs", "1", "--steps-per-epoch", "2",
                 "--no-xla", "--quiet", "--out", str(out)]) == 0
    png = tmp_path / "grid.png"
    assert main(["generate", str(out), "--out", str(png), "--seed", "4"]) == 0
    first = cv2.imread(str(png))
    assert main(["generate", str(out), "--out", str(png), "--seed", "4"]) == 0
    np.testing.assert_array_equal(first, cv2.imread(str(png)))  # same seed, same picture


def test_unknown_model_fails_cleanly(tmp_path, capsys):
    out = tmp_path / "never"
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--model", "dcgan", "--out", str(out)])
    assert exit_.value.code == 2  # argparse's choices: before any data is loaded
    err = capsys.readouterr().err
    assert "invalid choice: 'dcgan'" in err and "'acgan', 'acgan-real-aux'" in err
    assert not out.exists()
