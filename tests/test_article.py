"""What the article's compile-then-freeze pattern does on Keras 3 and on Keras 2 (chapter 5).

These tests pin the observed behaviour on real MNIST images (one or two small steps each):
on Keras 3 the article's discriminator never trains; on Keras 2 it does, but the article's
shared optimizer breaks the combined model's update; explicit variable lists (and the library's
``ConditionalGAN.train_step``) move exactly the network being updated on both.
"""

import importlib.util
import math
import os

import numpy as np
import pytest

from acgan_lib import article, freezing

STEPS, BATCH = 1, 16


@pytest.fixture(scope="module")
def images_labels(real_batch):
    images, labels = real_batch
    return images[:32], labels[:32]


@pytest.fixture(scope="module")
def keras3(images_labels):
    images, labels = images_labels
    return freezing.freezing_experiment("keras3", STEPS, BATCH, images=images, labels=labels)


@pytest.fixture(scope="module")
def keras2(images_labels):
    """Keras 2 (tf_keras) in a subprocess with TF_USE_LEGACY_KERAS=1, same images."""
    images, labels = images_labels
    return freezing.freezing_experiment("keras2", STEPS, BATCH, images=images, labels=labels)


def _calls(result, variant, call):
    rows = [c for c in result["article"][variant]["calls"] if c["call"] == call]
    assert len(rows) == STEPS
    return rows


def _messages(items):
    return " | ".join(f"{i.get('type', i.get('category'))}: {i['message']}" for i in items)


def test_article_baseline_builds_the_article_models_and_steps(keras3):
    result = keras3["article"]["shared_optimizer"]
    assert result["parameter_counts"] == {"discriminator": 94_987, "generator": 327_113}
    assert result["optimizers"]["same_object"]  # the article shares one optimizer
    assert len(result["losses"]) == STEPS
    for losses in result["losses"]:  # what ArticleBaseline.step returns
        assert list(losses) == list(article.CALLS)
        assert all(math.isfinite(v) for values in losses.values() for v in values)
    assert all(0.0 <= v <= 1.0 for v in result["metric_results"].values())


def test_article_metric_reset_fails_on_keras3():
    import keras

    metrics = article.make_article_metrics(keras)
    metrics[0](np.ones((4, 1)), np.full((4, 1), 0.9))
    with pytest.raises(AttributeError, match="reset_states"):
        article.reset_article_metrics(metrics)  # Keras 3 removed the article's reset_states()
    metrics[0].reset_state()
    assert float(metrics[0].result()) == 0.0


def test_keras3_the_articles_discriminator_never_trains(keras3):
    assert keras3["versions"]["keras"].startswith("3.")
    for variant in ("shared_optimizer", "separate_optimizers"):
        result = keras3["article"][variant]
        counts = result["trainable_counts"]
        assert counts["discriminator_at_compile"] == 16 and counts["discriminator"] == 0
        for call in ("discriminator_real", "discriminator_fake"):
            for row in _calls(keras3, variant, call):
                assert "error" not in row
                assert row["d_parameters_moved"] == 0.0 and row["d_statistics_moved"] == 0.0
                assert row["d_parameters_sha_before"] == row["d_parameters_sha_after"]
                assert row["d_parameters_sum_abs_before"] == row["d_parameters_sum_abs_after"]
        for row in _calls(keras3, variant, "combined"):  # the combined model trains G only
            assert row["g_parameters_moved"] > 0 and row["d_parameters_moved"] == 0.0
        assert "The model does not have any trainable weights" in _messages(result["warnings"])


def test_keras3_other_failures_of_the_articles_program(keras3):
    shared = keras3["article"]["shared_optimizer"]
    errors = _messages(shared["exceptions"])
    assert "AttributeError" in errors and "reset_states" in errors
    assert "KeyError" not in errors  # D never applies gradients, so sharing Adam does not clash
    assert shared["optimizers"]["d_optimizer"]["iterations"] == STEPS  # only the combined model
    if importlib.util.find_spec("pydot") is None:
        assert "ImportError" in errors and "pydot" in errors


def test_keras2_compile_time_freeze_holds(keras2):
    assert keras2["versions"]["keras_module"] == "tf_keras"
    assert keras2["versions"]["keras"].startswith("2.")
    separate = keras2["article"]["separate_optimizers"]
    assert separate["trainable_counts"]["discriminator"] == 0  # reports 0, trains anyway
    for call in ("discriminator_real", "discriminator_fake"):
        for row in _calls(keras2, "separate_optimizers", call):
            assert row["d_parameters_moved"] > 0 and row["g_parameters_moved"] == 0.0
            assert row["d_parameters_sha_before"] != row["d_parameters_sha_after"]
    for row in _calls(keras2, "separate_optimizers", "combined"):
        assert row["g_parameters_moved"] > 0 and row["d_parameters_moved"] == 0.0
    assert "reset_states" not in _messages(separate["exceptions"])


def test_keras2_the_articles_shared_optimizer_breaks_the_generator_update(keras2):
    shared = keras2["article"]["shared_optimizer"]
    for row in _calls(keras2, "shared_optimizer", "combined"):
        assert row["error"] == "KeyError"
        assert row["g_parameters_moved"] == 0.0
    assert "cannot recognize variable" in _messages(shared["exceptions"])
    # Adam as it was before TF 2.11 (keras.optimizers.legacy) can be shared: G trains
    for row in _calls(keras2, "shared_legacy_optimizer", "combined"):
        assert "error" not in row and row["g_parameters_moved"] > 0


@pytest.mark.parametrize("flavour", ["keras3", "keras2"])
def test_explicit_variable_lists_move_only_the_updated_network(flavour, keras3, keras2):
    summary = {"keras3": keras3, "keras2": keras2}[flavour]["explicit"]["summary"]
    assert summary["d_update"]["d_parameters_moved"] > 0
    assert summary["d_update"]["g_parameters_moved"] == 0.0
    assert summary["g_update"]["g_parameters_moved"] > 0
    assert summary["g_update"]["d_parameters_moved"] == 0.0
    # explicit lists choose parameters; D still runs in training mode inside G's loss
    assert summary["d_statistics_moved_during_g_update"] > 0


def test_library_train_step_moves_only_the_updated_network(images_labels):
    images, labels = images_labels
    result = freezing.library_step_experiment(images, labels, steps=1, batch_size=BATCH)
    step = result["steps"][0]
    assert step["d_update"]["d_parameters_moved"] > 0
    assert step["d_update"]["g_parameters_moved"] == 0.0
    assert step["g_update"]["g_parameters_moved"] > 0
    assert step["g_update"]["d_parameters_moved"] == 0.0
    assert np.isfinite([step["d_loss"], step["g_loss"]]).all()


def test_bad_arguments_get_clear_errors(images_labels):
    import keras

    images, labels = images_labels
    with pytest.raises(ValueError, match="keras3, keras2"):
        freezing.freezing_experiment("keras4")
    with pytest.raises(ValueError, match="at least batch_size"):
        freezing.freezing_experiment("keras3", 1, 64, images=images[:8], labels=labels[:8])
    with pytest.raises(ValueError, match="Keras 3 has no legacy"):
        article.ArticleBaseline(keras, legacy_optimizer=True)
    if os.environ.get(article.LEGACY_ENV) != "1":
        with pytest.raises(RuntimeError, match="TF_USE_LEGACY_KERAS=1"):
            article.load_keras("keras2")


def test_a_retrace_reads_trainable_again_on_keras3_only(keras3, keras2, images_labels):
    """Keras 3 reads ``trainable`` when it traces the step: after a freeze, a new batch size
    (a retrace) does not train, a batch size traced before the freeze still does; the warning
    for a changed trainable state is unreachable in its source (chapter 5)."""
    from acgan_lib.evidence import freezing_claims

    assert [r["batch_size"] for r in keras3["retrace"]] == [16, 16, 8, 4, 16]
    freezing_claims.check_retrace(keras3, keras2)
    images, labels = images_labels
    freezing_claims.check_source(freezing.keras3_source(),
                                 freezing.changed_state_warning(images[:8], labels[:8]))
    assert "| 3 | 8 | yes |" in freezing.retrace_table([keras3, keras2])


def test_when_each_keras_reads_trainable(keras3, keras2, images_labels):
    """Keras 2: at compile. Keras 3: when a training function is built (first train_on_batch or
    fit after compile), kept while that function is reused."""
    assert [r["order"] for r in keras3["orders"]] == [list(o) for o in freezing.ORDERS]
    assert [r["moved"] for r in keras3["orders"]] == [False, True, False, False, False]
    assert [r["moved"] for r in keras2["orders"]] == [True, True, True, False, True]
    assert "| `compile` → `freeze` → `train` | **does not train** | trains |" in \
        freezing.orders_table([keras3, keras2])
    images, labels = images_labels
    with pytest.raises(ValueError, match="at least one train or fit"):
        freezing.trainable_orders(article.load_keras("keras3"), images, labels,
                                  orders=[("compile", "freeze")])
    with pytest.raises(ValueError, match="sequence of compile, freeze"):
        freezing.trainable_orders(article.load_keras("keras3"), images, labels,
                                  orders=[("compile", "train_on_batch")])
