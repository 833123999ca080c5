"""Training a conditional GAN the Keras 3 way: one ``train_step``, explicit variable lists.

The article's pattern (compile the discriminator, set ``trainable = False``, compile the combined
model) relies on Keras 2 fixing the trainable-weights list at ``compile`` time. Keras 3 reads
``trainable`` when it builds (traces) the training function, at the first ``train_on_batch`` or
``fit`` after ``compile``: after the article's freeze, so its discriminator silently never
trains (chapter 5 measures the rule). Here nothing depends on ``trainable``: each optimizer is
applied to the variables of one network only::

    d_grads = tape.gradient(d_loss, discriminator.trainable_variables)
    d_optimizer.apply_gradients(zip(d_grads, discriminator.trainable_variables))

One generator forward pass serves both updates (the discriminator learns from the generated
batch, then the generator learns from the updated discriminator's verdict on the same batch),
the whole step is compiled (``jit_compile=True`` by default: XLA), and it runs unchanged under
``tf.distribute`` strategies and mixed precision.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from acgan_lib import losses
from acgan_lib.instrument import in_distribute_scope
from acgan_lib.models import (DISCRIMINATOR_HEADS, LATENT_DIM, NUM_CLASSES,
                               discriminator_training_view, generate)


class ConditionalGAN(keras.Model):
    """A CGAN or ACGAN that trains with ``fit``: both networks, each with its own optimizer.

    Args:
        generator: ``[noise, label] -> image`` (see :func:`acgan_lib.models.build_generator`).
        discriminator: ACGAN: ``image -> [real_logit, class_logits]``; CGAN: ``[image, label]
            -> real_logit``.
        auxiliary: whether the discriminator has the auxiliary classifier head (ACGAN).
        fake_aux_weight: weight of the class loss on generated images in the discriminator's
            loss (1 = ACGAN paper; 0 = classifier trained on real images only).
        generator_aux_weight: weight of the class loss in the generator's loss.
        real_label_smoothing: one-sided label smoothing (Salimans et al., 2016): the
            discriminator's target for real images is ``1 - real_label_smoothing``.
        head: the discriminator's head (:data:`acgan_lib.models.DISCRIMINATOR_HEADS`), which
            sets the class losses: ``"standard"`` and ``"projection"``: the ACGAN's
            cross-entropy (or none, CGAN); ``"twin"``: TAC-GAN (:meth:`class_losses`);
            ``"normalised"``: ReACGAN's D2D-CE in place of the cross-entropy
            (:func:`acgan_lib.losses.data_to_data_cross_entropy`).
        seed: noise and fake labels are drawn from ``(seed, step)`` with stateless ops, so a run
            (and a resumed run) sees the same noise at the same step.
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, auxiliary: bool = True,
                 latent_dim: int = LATENT_DIM, num_classes: int = NUM_CLASSES,
                 fake_aux_weight: float = 1.0, generator_aux_weight: float = 1.0,
                 real_label_smoothing: float = 0.0, seed: int = 0, head: str = "standard",
                 **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.auxiliary = auxiliary
        if head not in DISCRIMINATOR_HEADS:
            raise ValueError(f"unknown discriminator head {head!r}; choose one of "
                             f"{', '.join(DISCRIMINATOR_HEADS)}")
        self.head = head
        # The discriminator with the output only training reads (twin logits, normalised
        # embedding) added; it shares every weight with `discriminator`.
        self.training_view = discriminator_training_view(discriminator, head)
        self.latent_dim = latent_dim
        self.num_classes = num_classes
        self.fake_aux_weight = float(fake_aux_weight)
        self.generator_aux_weight = float(generator_aux_weight)
        if not 0.0 <= real_label_smoothing < 0.5:
            raise ValueError(f"real_label_smoothing must be in [0, 0.5), got "
                             f"{real_label_smoothing!r}; 0.1 is the usual value")
        self.real_label_smoothing = float(real_label_smoothing)
        self.seed = int(seed)
        names = ["d_loss", "g_loss", "d_accuracy_real", "d_accuracy_fake"]
        if auxiliary:
            names += ["aux_loss_real", "label_accuracy_real", "label_accuracy_fake"]
        self._trackers = {n: keras.metrics.Mean(name=n) for n in names}
        # Both networks are built models, so the GAN is built too. Without this, `fit` under a
        # tf.distribute strategy tries to build it by calling it on a batch of real images.
        self.built = True

    @property
    def metrics(self):
        return list(self._trackers.values())

    def compile(self, d_optimizer: keras.optimizers.Optimizer | None = None,
                g_optimizer: keras.optimizers.Optimizer | None = None,
                learning_rate: float = 2e-4, beta_1: float = 0.5, jit_compile: bool | str = True,
                **kwargs):
        """Set one optimizer per network (default: the article's ``Adam(2e-4, beta_1=0.5)``).

        Under a ``mixed_float16`` policy each optimizer is wrapped in a ``LossScaleOptimizer``,
        which scales the loss up before the gradient and the gradients down before the update,
        so that small float16 gradients do not flush to zero.

        Under a ``tf.distribute`` strategy (built inside ``strategy.scope()``) XLA is turned off,
        as Keras' own ``jit_compile="auto"`` does: Keras would compile the whole distributed
        step, ``strategy.run`` over all replicas, as one XLA function, which XLA cannot do
        across devices (on CPUs it hangs). Each replica's step is still a compiled graph, and
        ``TPUStrategy`` compiles it with XLA for the TPU anyway.
        """
        if jit_compile and in_distribute_scope(self):
            jit_compile = False
        d_optimizer = d_optimizer or keras.optimizers.Adam(learning_rate, beta_1=beta_1)
        g_optimizer = g_optimizer or keras.optimizers.Adam(learning_rate, beta_1=beta_1)
        if keras.mixed_precision.dtype_policy().name == "mixed_float16":
            wrap = keras.optimizers.LossScaleOptimizer
            d_optimizer = d_optimizer if isinstance(d_optimizer, wrap) else wrap(d_optimizer)
            g_optimizer = g_optimizer if isinstance(g_optimizer, wrap) else wrap(g_optimizer)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        super().compile(jit_compile=jit_compile, **kwargs)
        # Build both optimizers on their own networks now, so their variables exist (for
        # checkpoints) and each can only ever touch the variables it was built with.
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    # ------------------------------------------------------------------ sampling
    def sample_inputs(self, batch_size, step):
        """Noise ``(n, latent_dim)`` and labels ``(n, 1)`` for training step ``step``.

        Stateless: a function of ``(seed, step, replica)`` only, so distributed replicas draw
        different batches and a resumed run continues the same sequence.
        """
        replica = tf.distribute.get_replica_context()
        replica_id = 0 if replica is None else replica.replica_id_in_sync_group
        base = tf.cast(self.seed, tf.int64) * 1_000_003 + tf.cast(replica_id, tf.int64)
        seed = tf.stack([base, tf.cast(step, tf.int64)])
        noise = tf.random.stateless_normal((batch_size, self.latent_dim), seed=seed)
        labels = tf.random.stateless_uniform((batch_size, 1), seed=seed + [0, 1 << 40],
                                             minval=0, maxval=self.num_classes, dtype=tf.int32)
        return noise, labels

    def discriminate(self, images, labels, training=True):
        """``(real_logit, class_logits or None)`` whatever the discriminator's kind."""
        real_logit, class_logits, _ = self.judge(images, labels, training)
        return real_logit, class_logits

    def judge(self, images, labels, training=True):
        """``(real_logit, class_logits or None, extra or None)``: ``extra`` is what only the
        head's training loss reads (TAC-GAN's twin logits, ReACGAN's normalised embedding)."""
        if self.training_view is not None:
            real_logit, class_logits, extra = self.training_view(images, training=training)
            return real_logit, class_logits, extra
        if self.auxiliary:
            real_logit, class_logits = self.discriminator(images, training=training)
            return real_logit, class_logits, None
        return self.discriminator([images, labels], training=training), None, None

    def class_loss(self, class_logits, extra, labels):
        """The main classifier's loss on one batch: cross-entropy, or ReACGAN's D2D-CE."""
        if self.head == "normalised":
            return losses.data_to_data_cross_entropy(extra, class_logits, labels)
        return losses.auxiliary_loss(class_logits, labels)

    def class_losses(self, real, fake, real_labels, fake_labels):
        """The class terms of the discriminator's loss; ``real``, ``fake``: ``(class_logits,
        extra)`` of a real and a generated batch.

        The main classifier learns from real images (and generated ones, weighted
        ``fake_aux_weight``: 0 for TAC-GAN, as in the authors' discriminator step). TAC-GAN
        (Gong et al. 2019) adds the twin classifier's cross-entropy on generated images with
        the labels they were drawn for: the twin learns which label the *generator* meant, and
        the generator's loss (:meth:`generator_loss`) subtracts it.
        """
        # real + w * fake, in the order of losses.discriminator_auxiliary_loss (used before
        # the heads came): the committed runs still retrain bit for bit.
        loss = self.class_loss(*real, real_labels)
        if self.fake_aux_weight:
            loss += self.fake_aux_weight * self.class_loss(*fake, fake_labels)
        if self.head == "twin":
            loss += losses.auxiliary_loss(fake[1], fake_labels)
        return loss

    # ------------------------------------------------------------------ training
    def discriminator_update(self, real_images, real_labels, fake_images, fake_labels) -> dict:
        """One optimizer step on the discriminator's variables only; returns its loss terms.

        ``fake_images`` are treated as constants: no gradient reaches the generator.
        """
        d_vars = self.discriminator.trainable_variables
        fake_images = tf.stop_gradient(fake_images)
        with tf.GradientTape() as tape:
            real_logit, real_class, real_extra = self.judge(real_images, real_labels)
            fake_logit, fake_class, fake_extra = self.judge(fake_images, fake_labels)
            d_loss = losses.discriminator_adversarial_loss(real_logit, fake_logit,
                                                           self.real_label_smoothing)
            values = {"d_accuracy_real": losses.real_accuracy(real_logit, True),
                      "d_accuracy_fake": losses.real_accuracy(fake_logit, False)}
            if self.auxiliary:
                d_loss += self.class_losses((real_class, real_extra), (fake_class, fake_extra),
                                            real_labels, fake_labels)
                values["aux_loss_real"] = self.class_loss(real_class, real_extra, real_labels)
                values["label_accuracy_real"] = losses.class_accuracy(real_class, real_labels)
                values["label_accuracy_fake"] = losses.class_accuracy(fake_class, fake_labels)
            scaled = self._scaled(self.d_optimizer, d_loss)
        grads = tape.gradient(scaled, d_vars)
        self.d_optimizer.apply_gradients(zip(grads, d_vars))
        return {"d_loss": d_loss, **values}

    def generator_loss(self, fake_images, fake_labels):
        """The generator's loss: fool the discriminator and (ACGAN) be classified as asked.

        TAC-GAN: ``adversarial + w * (CE(main head) - CE(twin head))`` on the generated batch.
        The main head's cross-entropy on generated images is their conditional entropy
        ``H_Q(y|x)`` plus a divergence; rewarding a low ``H_Q(y|x)`` is what pushes an ACGAN
        to draw only unambiguous, easy digits. The twin, trained on the generator's own labels,
        estimates ``H_Q(y|x)``; subtracting its cross-entropy cancels that reward (Gong et al.
        2019). Only the generator's variables move: the twin is not trained to be worse.
        """
        judged_logit, judged_class, extra = self.judge(fake_images, fake_labels)
        g_loss = losses.generator_adversarial_loss(judged_logit)
        if self.auxiliary and self.generator_aux_weight:
            class_term = self.class_loss(judged_class, extra, fake_labels)
            if self.head == "twin":
                class_term -= losses.auxiliary_loss(extra, fake_labels)
            g_loss += self.generator_aux_weight * class_term
        return g_loss

    def _scaled(self, optimizer, loss):
        """The loss the gradient is taken of: averaged over replicas, loss-scaled if mixed."""
        return optimizer.scale_loss(loss / tf.distribute.get_strategy().num_replicas_in_sync)

    def generator_update(self, noise, fake_labels, forward=None):
        """One optimizer step on the generator's variables only; returns its loss.

        ``forward``: ``(tape, fake_images)`` when the generator's forward pass on ``noise`` and
        ``fake_labels`` was already recorded on ``tape`` (``train_step`` does this, so one
        forward pass serves both networks' updates); the loss is recorded on the same tape.
        """
        if forward is None:
            with tf.GradientTape() as tape:
                fake_images = self.generator([noise, fake_labels], training=True)
        else:
            tape, fake_images = forward
        with tape:
            g_loss = self.generator_loss(fake_images, fake_labels)
            scaled = self._scaled(self.g_optimizer, g_loss)
        g_vars = self.generator.trainable_variables
        self.g_optimizer.apply_gradients(zip(tape.gradient(scaled, g_vars), g_vars))
        return g_loss

    def train_step(self, data):
        """One step: the discriminator learns from a generated batch, then the generator
        learns from the updated discriminator's verdict on that same batch."""
        # The real batch: images in [-1, 1] and their labels as an (n, 1) column.
        real_images, real_labels = data[0], data[1]
        real_labels = tf.reshape(tf.cast(real_labels, tf.int32), (-1, 1))
        # Noise and the labels to draw, a function of (seed, step): a resumed run repeats them.
        noise, fake_labels = self.sample_inputs(tf.shape(real_images)[0],
                                                self.g_optimizer.iterations)
        # Generate once, recorded on a tape: the generator's update reuses this forward pass.
        with tf.GradientTape() as g_tape:
            fake_images = tf.cast(self.generator([noise, fake_labels], training=True),
                                  real_images.dtype)
        # Train the discriminator on real and generated images (its variables only).
        values = self.discriminator_update(real_images, real_labels, fake_images, fake_labels)
        # Train the generator against the updated discriminator (its variables only).
        values["g_loss"] = self.generator_update(noise, fake_labels,
                                                 forward=(g_tape, fake_images))
        # Report the running means that fit prints.
        for name, tracker in self._trackers.items():
            tracker.update_state(values[name])
        return {name: tracker.result() for name, tracker in self._trackers.items()}

    def call(self, inputs, training=False):
        """``[noise, labels] -> images``: the GAN as a model is its generator."""
        return self.generator(inputs, training=training)

    # ------------------------------------------------------------------ generation
    def generate(self, labels, seed: int = 0, noise=None):
        """Images in [-1, 1] for ``labels`` (0..9), from noise drawn with ``seed``."""
        return generate(self.generator, labels, seed=seed, noise=noise,
                        latent_dim=self.latent_dim)


#: Names that lived here before the catalogue, ``generate`` and ``TrainConfig`` moved out
#: (``from acgan_lib.training import build_gan`` in notebooks written for 0.2.0 still works).
_MOVED = {"GANSpec": "catalogue", "MODEL_SPECS": "catalogue", "get_spec": "catalogue",
          "build_gan": "catalogue", "TrainConfig": "runs", "auxiliary_logits": "evaluation"}


def __getattr__(name: str):
    """Resolve a moved name from the module that now defines it (imported on first use)."""
    if name not in _MOVED:
        raise AttributeError(f"module 'acgan_lib.training' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"acgan_lib.{_MOVED[name]}"), name)
