"""The article's loop as a study run (acgan_lib.article_run): measured, resumable, aggregated."""

from __future__ import annotations

import numpy as np
import pytest

from acgan_lib.article_run import ARTICLE_LOOP, train_article_loop
from acgan_lib.checkpoint import list_checkpoints, read_npz
from acgan_lib.curves import evaluation_steps, read_curve
from acgan_lib.runs import load_run

BUDGET = {"batch_size": 16, "steps_per_epoch": 3, "n_per_class": 20, "verbose": False}


def _generator_arrays(run_dir):
    header, arrays = read_npz(list_checkpoints(run_dir / "checkpoints")[-1])
    return header, {k: v for k, v in arrays.items() if k.startswith("generator/")}


@pytest.fixture(scope="module")
def straight(mnist, tmp_path_factory):
    out = tmp_path_factory.mktemp("loop") / "straight"
    return out, train_article_loop(out, mnist, epochs=2, **BUDGET)


def test_the_loop_trains_its_generator_and_never_its_discriminator(straight):
    out, manifest = straight
    assert manifest["model"] == ARTICLE_LOOP and manifest["steps"] == 6
    gan, _ = load_run(out)  # stored as the acgan networks it has
    from acgan_lib.article import ArticleBaseline
    import keras

    start = ArticleBaseline(keras, batch_size=16, seed=0)  # the same seed: the initial weights
    for now, then in zip(gan.discriminator.get_weights(), start.discriminator.get_weights()):
        np.testing.assert_array_equal(now, then)  # Keras 3: the freeze froze it for good
    moved = [np.abs(a - b).max() for a, b in zip(gan.generator.trainable_weights,
                                                 start.generator.trainable_weights)]
    assert min(moved) > 0  # every generator weight trained
    assert sorted(p.name for p in (out / "grids").iterdir()) == ["grid_epoch_001.png",
                                                                "grid_epoch_002.png"]


def test_its_curve_has_every_scheduled_step_once(straight):
    out, _ = straight
    steps = [row["step"] for row in read_curve(out)]
    assert steps == evaluation_steps(6, 3)
    assert all(0 <= row["label_accuracy"] <= 1 and "aux_label_accuracy_fake" in row
               for row in read_curve(out))


def test_a_resumed_loop_continues_where_it_stopped(straight, mnist, tmp_path):
    out, _ = straight
    split = tmp_path / "split"
    train_article_loop(split, mnist, epochs=1, **BUDGET)
    first_curve = read_curve(split)
    train_article_loop(split, mnist, epochs=2, **BUDGET)  # resumes from epoch 1
    header, resumed = _generator_arrays(split)
    _, whole = _generator_arrays(out)
    assert header["epoch"] == 2 and header["step"] == 6
    for name, value in whole.items():
        np.testing.assert_allclose(resumed[name], value, rtol=1e-5, atol=1e-6, err_msg=name)
    rows = read_curve(split)
    assert [r["step"] for r in rows] == evaluation_steps(6, 3)
    assert rows[:len(first_curve)] == first_curve  # the first sitting's rows are kept as they were


def test_an_interrupted_loop_is_cut_back_to_its_checkpoint_and_trained_again(straight, mnist,
                                                                            tmp_path):
    import shutil

    out, _ = straight
    killed = tmp_path / "killed"
    shutil.copytree(out, killed)
    # a kill during epoch 2: its checkpoint and the manifest were never written
    (killed / "checkpoints" / "ckpt-000002.npz").unlink()
    (killed / "manifest.json").unlink()
    manifest = train_article_loop(killed, mnist, epochs=2, keep=1, **BUDGET)
    assert manifest["resumed_from_epoch"] == 1 and manifest["steps"] == 6
    assert [p.name for p in list_checkpoints(killed / "checkpoints")] == ["ckpt-000002.npz"]
    rows, whole = read_curve(killed), read_curve(out)
    assert [r["step"] for r in rows] == evaluation_steps(6, 3)  # each scheduled step once
    kept = [r for r in whole if r["step"] <= 3]
    assert rows[:len(kept)] == kept  # rows up to the checkpoint are kept as they were
    for a, b in zip(rows[len(kept):], whole[len(kept):]):  # the rest is measured again
        assert a["label_accuracy"] == pytest.approx(b["label_accuracy"], abs=0.02)
    assert all(isinstance(v, float) for v in manifest["training_metrics"].values())


def test_a_loop_directory_refuses_other_settings_and_leaves_it_as_it_was(straight, mnist):
    out, _ = straight
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    with pytest.raises(ValueError, match="holds a run with other settings"):
        train_article_loop(out, mnist, epochs=3, **{**BUDGET, "batch_size": 8})
    with pytest.raises(ValueError, match="already holds 2 epochs, more than the 1"):
        train_article_loop(out, mnist, epochs=1, **BUDGET)
    with pytest.raises(ValueError, match="n_per_class must be a positive integer"):
        train_article_loop(out, mnist, epochs=2, **{**BUDGET, "n_per_class": 0})
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before


def test_the_study_trains_and_aggregates_the_loop_like_any_run(mnist, tmp_path):
    from acgan_lib.study import STUDIES, PlannedRun, final_grid, run_study, time_to_quality

    run = PlannedRun(ARTICLE_LOOP, 0, 1, 16, steps_per_epoch=3)
    summary = run_study([run], mnist, tmp_path / "runs", tmp_path / "results", n_per_class=20,
                        verbose=0, log=lambda m: None, cas_steps=20)  # a short CAS recipe
    result = summary["runs"][run.run_id]
    assert result["arm"] == "article-loop-b16-e1-n3" and result["steps"] == 3
    assert summary["arms"]["article-loop-b16-e1-n3"]["runs"] == [run.run_id]
    assert "train_article_loop(" in result["command"] and "steps_per_epoch=3" in result["command"]
    assert STUDIES["article-loop"][0].command() == (
        "python -m acgan_lib study article-loop --data mnist.npz")
    assert [r["step"] for r in result["curve"]] == evaluation_steps(3, 3)
    table = time_to_quality(summary)["article-loop-b16-e1-n3"]
    assert table["images"] == 48 and 0 <= table["best_label_accuracy"] <= 1
    assert table["minutes"] == round(result["curve"][-1]["training_seconds"] / 60, 1)
    assert final_grid(run.run_id, tmp_path / "results").ndim == 2  # what it drew, shipped
    # its discriminator never trained: its classifier of real digits is near chance (10%)
    assert result["final"]["aux_label_accuracy_real"] < 0.2


def test_a_shipped_loop_run_loads_as_the_acgan_networks_it_trained(straight, mnist, tmp_path):
    from acgan_lib.pretrained import load_pretrained
    from acgan_lib.shipping import ship_run

    out, _ = straight
    shipped = ship_run(out, name="loop", data=mnist, dest=tmp_path, n_per_class=10,
                       offline_check=False)
    assert shipped["model"] == ARTICLE_LOOP and shipped["architecture"] == "acgan"
    gan = load_pretrained("loop", tmp_path)
    for a, b in zip(gan.generator.get_weights(), load_run(out)[0].generator.get_weights()):
        np.testing.assert_array_equal(a, b)
