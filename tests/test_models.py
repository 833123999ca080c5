"""Shapes, ranges, exact parameter counts, and that the label really conditions the output."""

import numpy as np
import pytest
import tensorflow as tf

from acgan_lib.models import build_discriminator, build_generator


@pytest.mark.parametrize("conditioning", ["multiply", "concat"])
def test_generator_output_shape_and_range(conditioning):
    generator = build_generator(conditioning)
    noise = np.random.default_rng(0).standard_normal((8, 100)).astype("float32") * 3
    images = generator([noise, np.arange(8)[:, None]], training=False).numpy()
    assert images.shape == (8, 28, 28, 1)
    assert images.dtype == np.float32
    assert -1.0 <= images.min() and images.max() <= 1.0
    assert images.std() > 0  # not a constant image


def test_discriminator_heads():
    images = np.zeros((5, 28, 28, 1), "float32")
    real_logit, class_logits = build_discriminator()(images)
    assert real_logit.shape == (5, 1) and class_logits.shape == (5, 10)
    cgan_d = build_discriminator(auxiliary_classifier=False, label_conditioning=True)
    assert cgan_d([images, np.zeros((5, 1), "int32")]).shape == (5, 1)
    with pytest.raises(ValueError, match="exactly one"):
        build_discriminator(auxiliary_classifier=True, label_conditioning=True)


def test_parameter_counts_match_the_article():
    """The article's ACGAN, measured on Keras 3: 327,113 + 94,987 = 422,100 ("0.4M").

    Our heads output logits instead of sigmoid/softmax probabilities; activations carry no
    weights, so the counts are the article's.
    """
    generator, discriminator = build_generator("multiply"), build_discriminator()
    assert generator.count_params() == 327_113
    assert discriminator.count_params() == 94_987
    assert generator.count_params() + discriminator.count_params() == 422_100
    # CGAN variants: one-hot concatenation feeds 110 numbers to the Dense layer instead of 100,
    # (+10 x 1568 weights, -1,000 embedding weights); the label plane adds Embedding(10, 784)
    # and a second input channel to the first convolution (+7,840 + 9 x 32); no class head
    # (-1,290).
    assert build_generator("concat").count_params() == 327_113 - 1_000 + 10 * 1568
    assert build_discriminator(False, True).count_params() == 94_987 + 7_840 + 9 * 32 - 1_290


def test_unknown_conditioning_is_refused():
    with pytest.raises(ValueError, match="unknown conditioning 'add'.*multiply, concat"):
        build_generator("add")


@pytest.mark.parametrize("conditioning", ["multiply", "concat"])
def test_label_changes_the_image(conditioning):
    """Same noise, different labels -> different images (even untrained)."""
    generator = build_generator(conditioning)
    noise = np.repeat(np.random.default_rng(1).standard_normal((1, 100)), 10, 0).astype("float32")
    images = generator([noise, np.arange(10)[:, None]], training=False).numpy()
    diffs = [np.abs(images[i] - images[j]).mean() for i in range(10) for j in range(i + 1, 10)]
    assert min(diffs) > 1e-4


@pytest.mark.parametrize("conditioning", ["multiply", "concat"])
def test_label_path_receives_gradient(conditioning):
    """The loss's gradient reaches the label path (the embedding, or the Dense rows fed by the
    one-hot), so training can learn to use the label."""
    generator = build_generator(conditioning)
    noise = tf.random.normal((16, 100), seed=1)
    labels = tf.constant(np.arange(16)[:, None] % 10, tf.int32)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(generator([noise, labels], training=True))
    if conditioning == "multiply":
        var = generator.get_layer("label_embedding").embeddings
        grad = tape.gradient(loss, var)
        grad = tf.convert_to_tensor(grad)
        assert float(tf.reduce_sum(tf.abs(grad))) > 0
    else:
        kernel = generator.get_layer("dense").kernel
        grad = tape.gradient(loss, kernel).numpy()
        assert np.abs(grad[100:]).sum() > 0  # the rows multiplying the one-hot label
