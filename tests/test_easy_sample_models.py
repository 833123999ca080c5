"""The models against ACGAN's easy-sample bias (issue #30): each trains the network it should,
and each head computes its paper's formula, on real MNIST digits."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from acgan_lib import losses
from acgan_lib.catalogue import MODEL_SPECS, build_gan
from acgan_lib.checkpoint import load_gan, save_gan
from acgan_lib.data import make_dataset
from acgan_lib.evaluation import aux_label_accuracy, auxiliary_logits
from acgan_lib.instrument import moved, snapshot
from acgan_lib.models import build_discriminator, discriminator_training_view

NEW_MODELS = ("acgan-real-aux-concat-light", "tacgan-concat", "projection-concat",
              "reacgan-concat")


def n_moved(before, variables) -> int:
    """How many of ``variables`` differ from their snapshot ``before``."""
    return sum(moved([b], [a]) > 0 for b, a in zip(before, snapshot(variables)))


@pytest.fixture(scope="module")
def batch(real_batch):
    """32 real digits (3-4 of each) with (n, 1) labels, a generated batch and its inputs."""
    images, labels = real_batch[0][::2], real_batch[1][::2, None]
    gan = build_gan("acgan", jit_compile=False)
    noise, fake_labels = gan.sample_inputs(len(images), 0)
    return tf.constant(images), tf.constant(labels), noise, fake_labels


def fakes(gan, noise, fake_labels):
    return gan.generator([noise, fake_labels], training=False)


def test_the_new_models_are_in_the_catalogue():
    assert set(NEW_MODELS) <= set(MODEL_SPECS)
    base = MODEL_SPECS["acgan-real-aux-concat"]
    for name in NEW_MODELS:  # each changes one thing of the recommended ACGAN
        spec = MODEL_SPECS[name]
        assert (spec.conditioning, spec.fake_aux_weight) == ("concat", 0.0)
        assert spec.description
    assert MODEL_SPECS["acgan-real-aux-concat-light"].generator_aux_weight == 0.2
    assert MODEL_SPECS["acgan-real-aux-concat-light"].head == base.head
    assert MODEL_SPECS["projection-concat"].auxiliary is False


@pytest.mark.parametrize("name", NEW_MODELS)
def test_each_update_moves_only_its_network(name, batch):
    """D's update moves every discriminator weight and no generator weight; G's the reverse."""
    images, labels, noise, fake_labels = batch
    gan = build_gan(name, jit_compile=False)
    d_vars, g_vars = gan.discriminator.trainable_variables, gan.generator.trainable_variables
    d_before, g_before = snapshot(d_vars), snapshot(g_vars)
    gan.discriminator_update(images, labels, fakes(gan, noise, fake_labels), fake_labels)
    assert n_moved(d_before, d_vars) == len(d_vars) and n_moved(g_before, g_vars) == 0

    d_before, g_before = snapshot(d_vars), snapshot(g_vars)
    gan.generator_update(noise, fake_labels)
    assert n_moved(g_before, g_vars) == len(g_vars) and n_moved(d_before, d_vars) == 0


def test_twin_head_learns_from_generated_images_only(batch):
    images, labels, noise, fake_labels = batch
    gan = build_gan("tacgan-concat", jit_compile=False)
    kernel = gan.discriminator.get_layer("class_and_twin_logits").kernel
    fake = fakes(gan, noise, fake_labels)
    with tf.GradientTape(persistent=True) as tape:
        _, real_class, real_twin = gan.judge(images, labels)
        _, fake_class, fake_twin = gan.judge(fake, fake_labels)
        d_class = gan.class_losses((real_class, real_twin), (fake_class, fake_twin),
                                   labels, fake_labels)
        twin_on_fakes = losses.auxiliary_loss(fake_twin, fake_labels)
        main_on_reals = losses.auxiliary_loss(real_class, labels)
    grad, twin_grad, main_grad = (tape.gradient(loss, kernel).numpy()
                                  for loss in (d_class, twin_on_fakes, main_on_reals))
    # The twin's columns learn from the generated batch, and only from it ...
    assert np.abs(grad[:, 10:]).max() > 1e-4
    np.testing.assert_allclose(grad[:, 10:], twin_grad[:, 10:], atol=1e-7)
    # ... the main head's from the real one only (fake_aux_weight 0).
    np.testing.assert_allclose(grad[:, :10], main_grad[:, :10], atol=1e-7)
    assert np.abs(twin_grad[:, :10]).max() == 0 == np.abs(main_grad[:, 10:]).max()
    twin_before = snapshot([kernel])
    gan.discriminator_update(images, labels, fake, fake_labels)
    assert moved(twin_before, snapshot([kernel])) > 0


def test_generator_loss_subtracts_the_twin_and_leaves_it_alone(batch):
    images, labels, noise, fake_labels = batch
    gan = build_gan("tacgan-concat", jit_compile=False)
    kernel = gan.discriminator.get_layer("class_and_twin_logits").kernel
    with tf.GradientTape() as tape:
        fake = gan.generator([noise, fake_labels], training=True)
        g_loss = gan.generator_loss(fake, fake_labels)
    logit, main, twin = gan.judge(fake, fake_labels)
    by_hand = (losses.generator_adversarial_loss(logit) + losses.auxiliary_loss(main, fake_labels)
               - losses.auxiliary_loss(twin, fake_labels))
    np.testing.assert_allclose(float(g_loss), float(by_hand), rtol=1e-5)
    # The generator's loss has a gradient on the twin (it would make it worse) ...
    assert np.abs(tape.gradient(g_loss, kernel).numpy()[:, 10:]).max() > 1e-4
    # ... but the generator's update applies gradients to the generator only.
    d_before = snapshot(gan.discriminator.trainable_variables)
    gan.generator_update(noise, fake_labels)
    assert n_moved(d_before, gan.discriminator.trainable_variables) == 0


def test_the_evaluation_reads_the_main_head_only(batch):
    images, labels, _, _ = batch
    gan = build_gan("tacgan-concat", jit_compile=False)
    view = discriminator_training_view(gan.discriminator, "twin")
    both = gan.discriminator.get_layer("class_and_twin_logits")
    assert len(gan.discriminator.outputs) == 2 and len(view.outputs) == 3
    assert [v.path for v in view.weights] == [v.path for v in gan.discriminator.weights]
    logits = auxiliary_logits(gan.discriminator, images.numpy())
    pooled = gan.discriminator.get_layer("global_average_pool").output
    features = keras.Model(gan.discriminator.inputs, pooled)(images, training=False).numpy()
    by_hand = features @ both.kernel.numpy() + both.bias.numpy()
    np.testing.assert_allclose(logits, by_hand[:, :10], atol=1e-5)
    with pytest.raises(ValueError, match="no 'class_and_twin_logits' layer.*head='twin'"):
        discriminator_training_view(build_discriminator(), "twin")
    with pytest.raises(ValueError, match="'projection' head needs label conditioning"):
        build_discriminator(head="projection")


def test_projection_discriminator_is_psi_plus_inner_product(batch):
    images, labels, _, _ = batch
    d = build_gan("projection-concat", jit_compile=False).discriminator
    for v in d.get_layer("psi").weights:  # away from zero, so that psi counts in the sum
        v.assign(np.random.default_rng(1).normal(size=v.shape))
    phi = keras.Model(d.inputs[0], d.get_layer("global_average_pool").output)
    features = phi(images, training=False).numpy().astype(np.float64)
    psi = d.get_layer("psi")
    table = d.get_layer("projection_embedding").embeddings.numpy()
    y = labels.numpy()[:, 0]
    by_hand = (features @ psi.kernel.numpy() + psi.bias.numpy())[:, 0] \
        + np.sum(table[y] * features, axis=1)
    out = d([images, labels], training=False).numpy()[:, 0]
    np.testing.assert_allclose(out, by_hand, rtol=1e-4, atol=1e-5)
    other = (y + 1) % 10  # the label enters only through the inner product
    relabelled = d([images, tf.constant(other[:, None])], training=False).numpy()[:, 0]
    np.testing.assert_allclose(relabelled - out,
                               np.sum((table[other] - table[y]) * features, axis=1), atol=1e-5)


def d2d_by_hand(f, labels, proxies, t=0.5, m_p=0.98, m_n=0.02):
    """Kang et al.'s D2D-CE, one sample at a time."""
    out = []
    for i in range(len(f)):
        positive = np.exp(min(f[i] @ proxies[labels[i]] - m_p, 0) / t)
        negatives = sum(np.exp(max(f[i] @ f[j] - m_n, 0) / t)
                        for j in range(len(f)) if labels[j] != labels[i])
        out.append(-np.log(positive / (positive + negatives)))
    return np.mean(out)


def test_d2d_cross_entropy_is_the_papers_formula():
    rng = np.random.default_rng(0)
    unit = lambda a: a / np.linalg.norm(a, axis=-1, keepdims=True)  # noqa: E731
    f, proxies = unit(rng.normal(size=(12, 8))), unit(rng.normal(size=(10, 8)))
    labels = np.array([0, 0, 1, 3, 3, 3, 5, 7, 7, 9, 2, 2])
    np.testing.assert_allclose(
        float(losses.data_to_data_cross_entropy(f, f @ proxies.T, labels)),
        d2d_by_hand(f, labels, proxies), rtol=1e-5)
    # The margins: two orthogonal samples (similarity 0, below m_n) whose proxies are within
    # m_p of them cost log(1 + 1) each, however much closer to its proxy a sample gets.
    at_proxy = np.eye(8)[:2]
    near_proxy = unit(np.eye(8)[:2] + 0.05)  # cosine 0.992 to its sample
    for proxy in (at_proxy, near_proxy):
        got = float(losses.data_to_data_cross_entropy(np.eye(8)[:2], np.eye(8)[:2] @ proxy.T,
                                                      [0, 1]))
        np.testing.assert_allclose(got, np.log(2), rtol=1e-6)
    assert float(losses.data_to_data_cross_entropy(f[:3], (f @ proxies.T)[:3], [4, 4, 4])) == 0


def test_reacgan_classifier_is_a_cosine_one(batch):
    images, labels, _, _ = batch
    gan = build_gan("reacgan-concat", jit_compile=False)
    _, cosine, embedding = gan.judge(images, labels, training=False)
    np.testing.assert_allclose(np.linalg.norm(embedding.numpy(), axis=1), 1.0, rtol=1e-5)
    proxies = gan.discriminator.get_layer("class_logits").proxies.numpy()
    proxies = proxies / np.linalg.norm(proxies, axis=1, keepdims=True)
    np.testing.assert_allclose(cosine.numpy(), embedding.numpy() @ proxies.T, atol=1e-5)
    assert float(gan.class_loss(cosine, embedding, labels)) == pytest.approx(
        d2d_by_hand(embedding.numpy(), labels.numpy()[:, 0], proxies), rel=1e-4)


@pytest.mark.parametrize("name", NEW_MODELS)
def test_short_fit_save_load_and_generate(name, real_batch, tmp_path):
    """5 steps of batch 32 on real digits: finite losses; the weights survive a save and load."""
    images = np.concatenate([real_batch[0]] * 3)[:160]
    labels = np.concatenate([real_batch[1]] * 3)[:160]
    gan = build_gan(name, jit_compile=False)
    history = gan.fit(make_dataset(images, labels, batch_size=32, seed=0), epochs=1, verbose=0)
    assert int(gan.g_optimizer.iterations.numpy()) == 5
    assert all(np.isfinite(v[-1]) for v in history.history.values()), history.history
    path = save_gan(gan, tmp_path / "w.npz", name)
    again = build_gan(name, seed=1, jit_compile=False)
    load_gan(again, path, name)
    digits = np.arange(10).repeat(2)
    np.testing.assert_array_equal(again.generate(digits, seed=3), gan.generate(digits, seed=3))
    assert again.generate(digits).shape == (20, 28, 28, 1)
    if MODEL_SPECS[name].auxiliary:
        accuracy = aux_label_accuracy(again, images[:64], labels[:64])
        assert accuracy == aux_label_accuracy(gan, images[:64], labels[:64])
        assert 0.0 <= accuracy <= 1.0
