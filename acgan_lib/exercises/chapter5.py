"""Chapter 5's checker: the generator update (no freezing)."""

from __future__ import annotations

import inspect
from typing import Any

import keras
import numpy as np
from keras import layers

from acgan_lib import losses
from acgan_lib.exercises._common import CheckResult, _call, _close, _finish, _numpy, _StudentError
from acgan_lib.instrument import moved, recording_trainable, recording_updates, snapshot
from acgan_lib.models import LATENT_DIM
from acgan_lib.training import ConditionalGAN
from acgan_lib.validation import NUM_CLASSES, shorten


def check_generator_update(update: Any, verbose: bool = True) -> CheckResult:
    """Check a generator update: the generator learns, the discriminator's weights do not move.

    ``update`` is either

    * a function ``generator_update(generator, discriminator, g_optimizer, noise, labels)``
      that makes one optimizer step on the generator and returns the generator's loss, with an
      ACGAN discriminator ``image -> [real_logit, class_logits]``; or
    * a :class:`~acgan_lib.training.ConditionalGAN` subclass (or instance) that overrides
      ``generator_update(noise, labels)`` or ``train_step(data)``.

    It detects the chapter 5 mistakes: toggling ``discriminator.trainable`` (and leaving it
    off), applying the generator's optimizer to the discriminator too, a loss that makes the
    discriminator *less* fooled, and a generator that does not move.
    """
    result = CheckResult("check_generator_update")
    keras.utils.set_random_seed(0)
    mode, cls = _update_mode(result, update)
    if mode is None:
        return _finish(result, verbose)
    try:
        setup = _UpdateSetup(result, cls, mode)
        seen = _run_update(result, update, mode, setup)
        _judge_trainable(result, seen, setup)
        if not seen.crashed and _judge_variables(result, mode, seen, setup) \
                and mode != "train_step" and not seen.wrong:
            _judge_loss(result, seen, setup)
    except _StudentError:
        pass
    return _finish(result, verbose)


def _update_mode(result: CheckResult, update) -> tuple[str | None, type | None]:
    """``("function" | "method" | "train_step", the GAN class or None)``; ``(None, None)``
    after reporting an argument that is none of these."""
    if inspect.isclass(update) and issubclass(update, ConditionalGAN):
        cls = update
    elif isinstance(update, ConditionalGAN):
        cls = type(update)
    elif callable(update):
        return "function", None
    else:
        result.problem(f"Expected a function or a ConditionalGAN subclass, got "
                       f"{type(update).__name__}.", "pass your function itself (no "
                       "parentheses), e.g. check_generator_update(generator_update).")
        return None, None
    if cls.train_step is not ConditionalGAN.train_step:
        return "train_step", cls
    if cls.generator_update is ConditionalGAN.generator_update:
        result.note(f"{cls.__name__} overrides neither generator_update nor train_step: "
                    "checking the library's own.")
    return "method", cls


class _UpdateSetup:
    """A tiny GAN, fixed noise and labels, and everything measured before the update."""

    def __init__(self, result: CheckResult, cls, mode: str):
        self.gan = _tiny_gan(result, cls)
        self.g, self.d = self.gan.generator, self.gan.discriminator
        rng = np.random.default_rng(0)
        n = 16
        self.rng = rng
        self.noise = rng.standard_normal((n, self.gan.latent_dim)).astype(np.float32)
        self.labels = (np.arange(n, dtype=np.int32) % NUM_CLASSES)[:, None]
        self.reference = ConditionalGAN(self.g, self.d, auxiliary=True,
                                        latent_dim=self.gan.latent_dim)
        self.terms_before = _generator_terms(self.reference, self.g, self.noise, self.labels)
        self.g_list = list(self.g.trainable_variables)
        self.d_list = list(self.d.trainable_variables)
        self.g_before, self.d_before = snapshot(self.g_list), snapshot(self.d_list)
        self.g_vars = {id(v) for v in self.g_list}
        self.d_vars = {id(v) for v in self.d_list}
        self.flags = [layer.trainable for layer in self.d.layers]
        # function mode: a fresh optimizer, built by the student's first update on whatever it
        # is given; otherwise the GAN's own
        self.g_optimizer = (keras.optimizers.Adam(1e-3, beta_1=0.5) if mode == "function"
                            else self.gan.g_optimizer)


class _Seen:
    """What the update did: what it returned, which variables each optimizer was asked to
    update, and every assignment to ``discriminator.trainable``."""

    def __init__(self, returned, crashed, g_updated, d_updated, toggles, setup):
        self.returned, self.crashed, self.toggles = returned, crashed, toggles
        self.g_updated, self.d_updated = g_updated, d_updated
        self.wrong = g_updated & setup.d_vars


def _run_update(result: CheckResult, update, mode: str, setup: _UpdateSetup) -> _Seen:
    noise = keras.ops.convert_to_tensor(setup.noise)
    labels = keras.ops.convert_to_tensor(setup.labels)
    crashed, returned = False, None
    with recording_updates(setup.g_optimizer) as g_updated, \
            recording_updates(setup.gan.d_optimizer) as d_updated, \
            recording_trainable(setup.d) as toggles:
        try:
            if mode == "function":
                returned = _call(result, "Your function", update, setup.g, setup.d,
                                 setup.g_optimizer, noise, labels)
            elif mode == "method":
                returned = _call(result, "Your generator_update", setup.gan.generator_update,
                                 noise, labels)
            else:
                images = setup.rng.uniform(-1, 1, (len(setup.labels), 28, 28, 1))
                returned = _call(result, "Your train_step", setup.gan.train_step,
                                 (keras.ops.convert_to_tensor(images.astype(np.float32)),
                                  labels))
        except _StudentError:
            crashed = True
    return _Seen(returned, crashed, set(g_updated), set(d_updated), list(toggles), setup)


def _judge_trainable(result: CheckResult, seen: _Seen, setup: _UpdateSetup) -> None:
    """The optimizer-list and ``trainable`` mistakes of chapter 5."""
    d = setup.d
    if seen.wrong:
        result.problem(f"The generator's optimizer was asked to update {len(seen.wrong)} of the "
                       "discriminator's variables too: this step would train both "
                       "networks, so the discriminator learns to be fooled.",
                       "apply the gradients to generator.trainable_variables only "
                       "(not generator + discriminator, not the combined model's).")
    frozen = not d.trainable or [layer.trainable for layer in d.layers] != setup.flags
    if frozen:
        result.problem("After your update the discriminator is still frozen "
                       "(trainable=False): on Keras 3 it now has no trainable weights, so "
                       "its next update silently trains nothing (chapter 5); a frozen "
                       "model's BatchNormalization also switches to inference mode.",
                       "do not toggle trainable at all: compute the gradient of the "
                       "generator's loss with respect to generator.trainable_variables "
                       "only, and apply it to those.")
        d.trainable = True
        for layer, flag in zip(d.layers, setup.flags):
            layer.trainable = flag
    elif seen.toggles:
        result.problem("Your update switches discriminator.trainable off and on. It "
                       "happens to work here, but it is the fragile pattern of chapter "
                       "5: what it freezes depends on the Keras version and on when "
                       "models are compiled.", "leave trainable alone and choose the "
                       "variables explicitly: tape.gradient(loss, "
                       "generator.trainable_variables).")
    elif not seen.crashed:
        result.ok("leaves `trainable` alone")


def _judge_variables(result: CheckResult, mode: str, seen: _Seen, setup: _UpdateSetup) -> bool:
    """Which network's weights moved; False when the generator did not move (stop there)."""
    d_moved = moved(setup.d_before, snapshot(setup.d_list))
    g_moved = moved(setup.g_before, snapshot(setup.g_list))
    if mode == "train_step":
        if seen.d_updated & setup.g_vars:
            result.problem("The discriminator's optimizer also updated generator weights.",
                           "apply d_optimizer to discriminator.trainable_variables only.")
        if d_moved == 0:
            result.problem("The discriminator did not learn in your train_step.",
                           "a train step updates both networks, each with its own "
                           "optimizer and its own variable list.")
    elif not seen.wrong and d_moved > 0:
        result.problem("The discriminator's weights changed during the generator update.",
                       "only generator.trainable_variables may change in this step.")
    if not seen.wrong and (mode == "train_step" or d_moved == 0):
        result.ok("the generator's optimizer leaves the discriminator's weights alone")
    if g_moved == 0 or not (seen.g_updated & setup.g_vars):
        result.problem("The generator's weights did not move.",
                       "run the generator inside the GradientTape, take "
                       "tape.gradient(loss, generator.trainable_variables) and apply it "
                       "with g_optimizer.apply_gradients(zip(grads, variables)).")
        return False
    result.ok("the generator's weights moved")
    return True


def _judge_loss(result: CheckResult, seen: _Seen, setup: _UpdateSetup) -> None:
    """What the step did to the game, and whether it returned the generator's loss."""
    # The discriminator should now be *more* fooled by the same noise and labels (its
    # adversarial loss for the generator lower).
    terms = setup.terms_before
    after = _generator_terms(setup.reference, setup.g, setup.noise, setup.labels)["adversarial"]
    before = terms["adversarial"]
    if after > before:
        result.problem(f"After your step the discriminator is *less* fooled: the "
                       f"generator's adversarial loss went up ({before:.4f} -> {after:.4f}).",
                       "the generator's target is 'real' (1): minimise BCE(D(G(z, c)), 1), "
                       "not BCE(..., 0) and not the negative of the discriminator's loss.")
    else:
        result.ok(f"the discriminator is more fooled after one step (adversarial loss "
                  f"{before:.4f} -> {after:.4f})")
    value = _numpy(seen.returned)
    if value.size != 1:
        result.note(f"your function returned something of shape {value.shape}; return "
                    "the loss (one number) so that the training loop can log it")
        return
    value = float(value.reshape(()))
    expected = terms["adversarial"] + terms["auxiliary"]

    def close(x):
        return _close(value, x, rtol=1e-3, atol=1e-4)

    if close(expected):
        result.ok("returns the generator's loss (adversarial + auxiliary)")
    elif close(terms["adversarial"]):
        result.problem("Your loss leaves out the auxiliary loss: the generator is not "
                       "asked to draw the requested digit.",
                       "add auxiliary_loss(class_logits, labels) of the generated images "
                       "to the adversarial loss.")
    elif close(terms["fake_target"] + terms["auxiliary"]) or close(terms["fake_target"]):
        if not any("less* fooled" in m for m in result.messages):
            result.problem("Your loss uses the target 'fake' (0) for the generated images: "
                           "that is the discriminator's goal, not the generator's.",
                           "the generator wants its images called real: "
                           "generator_adversarial_loss(real_logit), i.e. BCE(..., 1).")
    else:
        result.note(f"your loss on this batch is {value:.4f}; the reference generator loss "
                    f"(adversarial + auxiliary, both networks in training mode) is "
                    f"{expected:.4f}")


def _tiny_networks(latent_dim: int = LATENT_DIM):
    """A small generator and ACGAN discriminator with the course's inputs and outputs.

    Same interfaces as :mod:`acgan_lib.models` (``[noise, label] -> (n, 28, 28, 1)`` tanh;
    ``image -> [real_logit, class_logits]``, with BatchNormalization), a fraction of the size,
    so that one eager update is quick.
    """
    noise = keras.Input((latent_dim,), name="noise")
    label = keras.Input((1,), dtype="int32", name="label")
    embedded = layers.Flatten()(layers.Embedding(NUM_CLASSES, latent_dim)(label))
    x = layers.Dense(7 * 7 * 8, activation="relu")(layers.Multiply()([noise, embedded]))
    x = layers.UpSampling2D(4)(layers.Reshape((7, 7, 8))(x))
    image = layers.Conv2D(1, 3, padding="same", activation="tanh")(x)
    generator = keras.Model([noise, label], image, name="generator")

    inp = keras.Input((28, 28, 1), name="image")
    x = layers.LeakyReLU(0.2)(layers.Conv2D(8, 3, strides=2, padding="same")(inp))
    x = layers.BatchNormalization(momentum=0.8)(layers.Conv2D(16, 3, strides=2,
                                                              padding="same")(x))
    x = layers.GlobalAveragePooling2D()(layers.LeakyReLU(0.2)(x))
    discriminator = keras.Model(inp, [layers.Dense(1, name="real_logit")(x),
                                      layers.Dense(NUM_CLASSES, name="class_logits")(x)],
                                name="discriminator")
    return generator, discriminator


def _tiny_gan(result: CheckResult, cls):
    """A freshly built small ACGAN of class ``cls``, compiled without XLA."""
    cls = cls or ConditionalGAN
    try:
        gan = cls(*_tiny_networks(), auxiliary=True)
        gan.compile(d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
                    g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5), jit_compile=False)
    except Exception as exc:
        result.problem(f"Building your {cls.__name__} failed: {type(exc).__name__}: "
                       f"{shorten(str(exc), 300)}", "keep ConditionalGAN's constructor arguments "
                       "(generator, discriminator, auxiliary=...) and call super().__init__.")
        raise _StudentError from None
    return gan


def _generator_terms(reference, g, noise, labels) -> dict[str, float]:
    """The generator's loss terms on one batch (both networks in training mode)."""
    images = g([noise, labels], training=True)
    real_logit, class_logits = reference.discriminate(images, labels)
    return {"adversarial": float(_numpy(losses.generator_adversarial_loss(real_logit))),
            "fake_target": float(_numpy(losses.adversarial_loss(real_logit, False))),
            "auxiliary": float(_numpy(losses.auxiliary_loss(class_logits, labels)))}
