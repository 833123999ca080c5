"""Shipped checkpoints: they load, generate, score as their manifests say, and fail clearly.

Scores are re-computed on the offline sample's 1,000 held-out images (a subset of the MNIST
training set), which is what ``python -m acgan_lib ship`` records as
``evaluation_offline_sample`` next to its full-test-set ``evaluation``.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from acgan_lib import classifier as clf, cli, comparison as cmp, evaluation as ev, pretrained
from acgan_lib import shipping
from acgan_lib.checkpoint import CheckpointError, save_gan
from acgan_lib.data import load_mnist
from acgan_lib.files import write_json
from acgan_lib.catalogue import build_gan

SHIPPED = pretrained.available_pretrained()


@pytest.fixture(scope="module")
def sample():
    return load_mnist(source="sample", verbose=False)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, sample):
    """A 2-step ACGAN run trained here by load_or_train (no XLA, to keep it quick)."""
    out = tmp_path_factory.mktemp("runs") / "acgan-tiny"
    loaded = pretrained.load_or_train("acgan", train=True, epochs=1, steps_per_epoch=2,
                                      batch_size=32, out=out, data=sample, jit_compile=False)
    return out, loaded


def _fake_shipped(folder, name="acgan", model="acgan", **manifest):
    """An untrained model written the way `ship` writes one."""
    folder.mkdir(parents=True, exist_ok=True)
    path = save_gan(build_gan(model), folder / f"{name}.npz", model)
    write_json(folder / f"{name}.json", {"model": model, "config": {"latent_dim": 100},
                                         "weights_sha256": pretrained.sha256(path), **manifest})
    return path


def test_all_four_models_are_shipped_within_size_limits():
    missing = [n for n in pretrained.SHIPPED_NAMES if n not in SHIPPED]
    assert not missing, (f"not shipped yet: {missing}; run `python -m acgan_lib ship RUN_DIR "
                         "--data mnist.npz` on each finished run")
    files = [p for p in pretrained.PRETRAINED_DIR.rglob("*") if p.is_file()]
    assert all(p.stat().st_size <= shipping.MAX_FILE_BYTES for p in files)
    assert sum(p.stat().st_size for p in files) <= shipping.MAX_TOTAL_BYTES


@pytest.mark.parametrize("name", pretrained.SHIPPED_NAMES)
def test_shipped_model_loads_generates_and_matches_its_manifest(name, sample):
    if name not in SHIPPED:
        pytest.skip(f"{name} is not shipped yet (no acgan_lib/pretrained/{name}.npz + .json)")
    gan = pretrained.load_pretrained(name)
    manifest = pretrained.pretrained_manifest(name)
    images = gan.generate(np.repeat(np.arange(10), 3), seed=1)
    assert images.shape == (30, 28, 28, 1)
    assert images.min() >= -1.0 and images.max() <= 1.0

    # How it was trained: by the project's CLI, on the full MNIST training set.
    assert manifest["command"].startswith("python -m acgan_lib train")
    assert manifest["data"]["source"] == "path" and manifest["data"]["train_images"] == 60_000
    for key in ("steps", "batch_size", "seed", "wall_clock_seconds", "versions", "evaluation"):
        assert key in manifest, key
    assert manifest["evaluation"]["real_images"].startswith("5,000 test images")
    assert manifest["shipped"]["classifier_sha256"] == pretrained.sha256(clf.CLASSIFIER_PATH), (
        "the classifier changed after this model was shipped: re-run `python -m acgan_lib ship`")

    expected = manifest["evaluation_offline_sample"]
    got = ev.evaluate_generator(gan, sample, n_per_class=expected["n_per_class"],
                                seed=expected["seed"])
    assert got["label_accuracy"] == pytest.approx(expected["label_accuracy"], abs=0.02)
    assert got["frechet_distance"] == pytest.approx(expected["frechet_distance"], rel=0.05,
                                                    abs=0.5)
    assert got["diversity"] == pytest.approx(expected["diversity"], abs=0.03)
    if gan.auxiliary:
        assert got["aux_label_accuracy_real"] == pytest.approx(
            expected["aux_label_accuracy_real"], abs=0.02)


def test_unknown_name_lists_the_shipped_ones():
    with pytest.raises(ValueError, match="cgan-concat"):
        pretrained.load_pretrained("dcgan")


def test_missing_checkpoint_says_how_to_get_one(tmp_path):
    with pytest.raises(CheckpointError, match="no shipped checkpoint.*acgan_lib train"):
        pretrained.load_pretrained("acgan", directory=tmp_path)


def test_truncated_checkpoint_is_reported(tmp_path):
    path = _fake_shipped(tmp_path)
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="truncated"):
        pretrained.load_pretrained("acgan", directory=tmp_path)


def test_mismatched_checkpoints_are_reported(tmp_path):
    # a CGAN's weights filed under the name and manifest of an ACGAN
    cgan = _fake_shipped(tmp_path / "a", name="cgan-concat", model="cgan-concat")
    _fake_shipped(tmp_path / "b")
    shutil.copyfile(cgan, tmp_path / "b" / "acgan.npz")
    with pytest.raises(CheckpointError, match="cgan-concat"):
        pretrained.load_pretrained("acgan", directory=tmp_path / "b")
    # the right kind of weights, but not the file the manifest describes
    _fake_shipped(tmp_path / "c")
    manifest = json.loads((tmp_path / "c" / "acgan.json").read_text())
    manifest["weights_sha256"] = "0" * 64
    write_json(tmp_path / "c" / "acgan.json", manifest)
    with pytest.raises(CheckpointError, match="SHA-256"):
        pretrained.load_pretrained("acgan", directory=tmp_path / "c")
    # a manifest cut short
    (tmp_path / "c" / "acgan.json").write_text('{"model": "acg')
    with pytest.raises(CheckpointError, match="truncated"):
        pretrained.load_pretrained("acgan", directory=tmp_path / "c")


def test_load_or_train_loads_a_shipped_model_and_says_so(tmp_path, capsys):
    _fake_shipped(tmp_path, command="python -m acgan_lib train", steps=5, batch_size=64)
    loaded = pretrained.load_or_train("acgan", train=False, directory=tmp_path)
    assert loaded.how == "loaded"
    assert "Loaded the shipped 'acgan'" in capsys.readouterr().out
    gan, how, manifest, message = loaded
    assert manifest["steps"] == 5 and gan.generator is not None


def test_load_or_train_trains_when_asked_and_says_so(tiny_run):
    out, loaded = tiny_run
    assert loaded.how == "trained" and "Trained 'acgan' here" in loaded.message
    assert loaded.manifest["steps"] == 2
    assert (out / "weights.npz").is_file()


def test_ship_then_load_reproduces_the_recorded_scores(tiny_run, sample, tmp_path):
    out, _ = tiny_run
    shipped = shipping.ship_run(out, name="tiny", data=sample, dest=tmp_path, n_per_class=20,
                                  offline_check=False)
    assert (tmp_path / "tiny.npz").is_file() and (tmp_path / "tiny.json").is_file()
    assert pretrained.available_pretrained(tmp_path) == ["tiny"]
    gan = pretrained.load_pretrained("tiny", directory=tmp_path)
    again = ev.evaluate_generator(gan, sample, n_per_class=20)
    assert again["label_accuracy"] == pytest.approx(shipped["evaluation"]["label_accuracy"])
    assert again["frechet_distance"] == pytest.approx(shipped["evaluation"]["frechet_distance"],
                                                      rel=1e-3)
    with pytest.raises(CheckpointError, match="not finished"):
        shipping.ship_run(tmp_path, data=sample, dest=tmp_path)


def test_compare_command_end_to_end(tiny_run, tmp_path, capsys):
    out, _ = tiny_run
    rc = cli.main(["compare", str(out), "--out", str(tmp_path / "cmp"), "--n-per-class", "20",
                   "--no-fidelity"])
    printed = capsys.readouterr().out
    assert rc == 0
    for name in [*SHIPPED, "real digits (reference)", "acgan (acgan-tiny)"]:
        assert f"| {name} |" in printed
    assert "held-out images of the offline MNIST sample" in printed  # says which real images
    for f in ("comparison.md", "comparison.csv", "comparison.json", "comparison.png",
              "samples.png", "confusion.png"):
        assert (tmp_path / "cmp" / f).stat().st_size > 0, f
    rows = (tmp_path / "cmp" / "comparison.csv").read_text().splitlines()
    assert len(rows) == 1 + 1 + len(SHIPPED) + 1
    assert cli.main(["compare", str(tmp_path), "--out", str(tmp_path / "x")]) == 2
    assert "not finished" in capsys.readouterr().err
    table = cmp.comparison_table(json.loads((tmp_path / "cmp" / "comparison.json").read_text()))
    assert list(table["name"])[0] == "real digits (reference)"
    assert table["label_accuracy"].between(0, 1).all()


def test_compare_prints_fidelity_columns_beside_the_real_reference(tmp_path, capsys):
    rc = cli.main(["compare", "--models", "cgan-concat", "--out", str(tmp_path / "cmp"),
                   "--n-per-class", "20"])
    printed = capsys.readouterr().out
    assert rc == 0
    assert "| precision | recall | coverage | intra-class FD | CAS |" in printed
    assert "easier (or tidier) than real ones, not better ones" in printed
    table = json.loads((tmp_path / "cmp" / "comparison.json").read_text())
    assert [r["name"] for r in table] == ["real digits (reference)", "cgan-concat"]
    for row in table:
        assert 0 <= row["recall"] <= 1 and 0 <= row["coverage"] <= 1 and 0 < row["cas"] <= 1
    assert table[0]["k"] == table[1]["k"] == 5 and table[0]["n_per_class"] == 20


def test_every_shipped_model_has_its_training_history():
    from acgan_lib.pretrained import SHIPPED_NAMES, pretrained_history, pretrained_manifest

    for name in SHIPPED_NAMES:
        history = pretrained_history(name)
        manifest = pretrained_manifest(name)
        assert history.epochs == list(range(1, manifest["epochs"] + 1))
        assert len({g.shape for g in history.grids}) == 1 and history.grids[0].ndim == 2
        assert history.curve[0]["step"] == 0
        assert history.curve[-1]["step"] == manifest["steps"]


def test_article_budget_names_are_the_shipped_models_trained_at_that_budget():
    """ARTICLE_BUDGET_NAMES is declared, not derived: it has to agree with the manifests."""
    for name in pretrained.SHIPPED_NAMES:
        m = pretrained.pretrained_manifest(name)
        at_article_budget = (m["epochs"], m["batch_size"]) == (20, 256)
        assert at_article_budget == (name in pretrained.ARTICLE_BUDGET_NAMES), name
