"""The GAN losses, each a small named function of logits.

All take **logits** and use ``from_logits=True``: ``sigmoid`` then ``log`` in two steps loses
precision (``log(sigmoid(-30))`` rounds ``sigmoid`` to 0 in float32 and gives ``-inf``),
while the fused form computes ``softplus`` directly and stays finite. The article's model applies
``sigmoid``/``softmax`` in the network and the loss afterwards; the numbers agree until they
saturate, which a discriminator winning the game does often.

Notation of Odena et al. (2017): ``L_S`` is the log-likelihood of the correct *source*
(real or fake), ``L_C`` of the correct *class*. The discriminator maximises ``L_S + L_C``; the
generator maximises ``L_C - L_S``. As losses (to minimise) with the usual non-saturating generator:

* discriminator: ``discriminator_loss = BCE(real, 1) + BCE(fake, 0) + auxiliary terms``
* generator: ``generator_loss = BCE(D(G(z, c)), 1) + auxiliary_loss(D_class(G(z, c)), c)``
"""

from __future__ import annotations

import keras
from keras import ops

_bce = keras.losses.BinaryCrossentropy(from_logits=True)
_sce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def _f32(x):
    return ops.cast(x, "float32")


def adversarial_loss(real_logits, target_real: bool, smoothing: float = 0.0):
    """Mean binary cross-entropy of real/fake logits against an all-real or all-fake target
    (an all-real target of ``1 - smoothing``)."""
    real_logits = _f32(real_logits)
    if target_real:
        target = ops.full_like(real_logits, 1.0 - smoothing)
    else:
        target = ops.zeros_like(real_logits)
    return _bce(target, real_logits)


def discriminator_adversarial_loss(real_image_logits, fake_image_logits,
                                   real_smoothing: float = 0.0):
    """``-L_S`` for the discriminator: real images real, generated ones fake.

    ``real_smoothing`` > 0 is one-sided label smoothing (Salimans et al.,
    2016): the real images' target becomes ``1 - real_smoothing``, which
    keeps the discriminator from growing over-confident; the generated
    images' target stays 0."""
    return (adversarial_loss(real_image_logits, True, real_smoothing)
            + adversarial_loss(fake_image_logits, False))


def generator_adversarial_loss(fake_image_logits):
    """The non-saturating generator loss: call generated images real."""
    return adversarial_loss(fake_image_logits, True)


def auxiliary_loss(class_logits, labels):
    """``-L_C`` on one batch: mean sparse categorical cross-entropy of the class head."""
    labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
    return _sce(labels, _f32(class_logits))


def discriminator_auxiliary_loss(real_class_logits, real_labels, fake_class_logits=None,
                                 fake_labels=None, fake_weight: float = 1.0):
    """The discriminator's class loss on real images plus ``fake_weight`` times that on fakes.

    ``fake_weight=1`` is the ACGAN paper (and the article); ``fake_weight=0`` is the variant
    of several reference implementations where the classifier learns only from real digits.
    """
    loss = auxiliary_loss(real_class_logits, real_labels)
    if fake_weight and fake_class_logits is not None:
        loss = loss + fake_weight * auxiliary_loss(fake_class_logits, fake_labels)
    return loss


#: ReACGAN's D2D-CE hyper-parameters, the authors' (Kang et al. 2021, StudioGAN): temperature
#: 0.5, positive margin 0.98, negative margin 1 - 0.98.
D2D_TEMPERATURE = 0.5
D2D_POSITIVE_MARGIN = 0.98
D2D_NEGATIVE_MARGIN = 0.02


def data_to_data_cross_entropy(embeddings, class_similarity, labels,
                               temperature: float = D2D_TEMPERATURE,
                               positive_margin: float = D2D_POSITIVE_MARGIN,
                               negative_margin: float = D2D_NEGATIVE_MARGIN):
    """ReACGAN's data-to-data cross-entropy (D2D-CE; Kang et al. 2021), batch mean.

    ``embeddings``: unit vectors ``f_i`` ``(n, d)``; ``class_similarity``: ``f_i . v_c`` for
    every unit class proxy ``v_c`` ``(n, classes)``; ``labels``: ``y_i``. For each sample,
    with ``p_i = min(f_i.v_yi - m_p, 0) / t`` and ``q_ij = max(f_i.f_j - m_n, 0) / t``::

        -log( exp(p_i) / (exp(p_i) + sum over j with y_j != y_i of exp(q_ij)) )

    The softmax's other terms are the *other samples* of the batch with another label (not the
    other classes' proxies), and the margins stop pulling a sample to its proxy once their
    similarity exceeds ``m_p`` and stop pushing two samples apart once theirs is below ``m_n``:
    easy samples no longer dominate the gradient. Computed with ``logsumexp``, which is the
    formula itself; the authors' code instead shifts only the negatives' terms by their row
    maximum (for stability), which changes the value. A sample with no other-label sample in
    its batch scores 0. Within one replica's batch under ``tf.distribute`` (the authors gather
    all devices' batches first).
    """
    labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
    embeddings, class_similarity = _f32(embeddings), _f32(class_similarity)
    to_proxy = ops.take_along_axis(class_similarity, labels[:, None], axis=1)  # (n, 1)
    positive = ops.minimum(to_proxy - positive_margin, 0.0) / temperature
    to_samples = ops.matmul(embeddings, ops.transpose(embeddings))  # (n, n)
    negative = ops.maximum(to_samples - negative_margin, 0.0) / temperature
    other_label = ops.not_equal(labels[:, None], labels[None, :])  # false on the diagonal too
    negative = ops.where(other_label, negative, ops.full_like(negative, -1e9))
    log_denominator = ops.logsumexp(ops.concatenate([positive, negative], axis=1), axis=1)
    return ops.mean(log_denominator - positive[:, 0])


def class_accuracy(class_logits, labels):
    """Fraction of images whose highest class logit is the given label."""
    labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
    predicted = ops.cast(ops.argmax(class_logits, axis=-1), "int32")
    return ops.mean(ops.cast(ops.equal(predicted, labels), "float32"))


def real_accuracy(real_logits, target_real: bool):
    """Fraction of images the discriminator puts on the ``target_real`` side of 0.5."""
    said_real = ops.greater(_f32(real_logits), 0.0)
    if not target_real:
        said_real = ops.logical_not(said_real)
    return ops.mean(ops.cast(said_real, "float32"))
