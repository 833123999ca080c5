"""Checkers for the chapters' code exercises: specific, kind feedback instead of pass/fail.

A student writes a function (or a model, or a layer) in a notebook and hands it to the
matching checker::

    from acgan_lib.exercises import check_auxiliary_loss

    def my_auxiliary_loss(class_logits, labels):
        ...

    feedback = check_auxiliary_loss(my_auxiliary_loss)

The checker runs the student's code on small random inputs, compares it with the library's
reference (:mod:`acgan_lib.losses`, :mod:`acgan_lib.data`, ...), recognises the typical mistakes
(softmax applied twice, a sum instead of a mean, a frozen discriminator left frozen, ...) and
prints what it found, with a hint for each problem. It never raises because of the student's
code: an exception in their function becomes a message. It returns a :class:`CheckResult`
(``passed``, ``messages``), which is truthy when every check passed.

========================================  =====================================================
checker                                   what the student writes
========================================  =====================================================
:func:`check_scaling`                     ``scale(images_uint8) -> float32 (n, 28, 28, 1)``
:func:`check_generator`                   a generator model, or a function that builds one
:func:`check_conditioning_layer`          ``condition(noise, labels) -> (n, d)``
:func:`check_auxiliary_loss`              ``auxiliary_loss(class_logits, labels) -> scalar``
:func:`check_accuracy_verdict`            ``accuracy_verdict(accuracy, real_accuracy,
                                          n_images) -> "below" | "within" | "above"``
:func:`check_generator_update`            ``generator_update(generator, discriminator,
                                          g_optimizer, noise, labels) -> loss``, or a
                                          ``ConditionalGAN`` subclass
:func:`check_class_accuracy`              ``class_accuracy(class_logits, labels) -> fraction``
:func:`check_distributed_loss`            ``replica_loss(per_image_losses, global_batch_size)``
:func:`check_seed_difference`             ``seed_difference(a, b) -> (difference, standard
                                          error)`` of two arms' per-seed values
========================================  =====================================================

One module per chapter's checker (``chapter1`` ... ``chapter8``), sharing ``_common`` (the
result, calling the student's code safely, comparing numbers); every checker is importable
from here.
"""

from acgan_lib.exercises._common import FAIL, NOTE, PASS, CheckResult
from acgan_lib.exercises.chapter1 import check_scaling
from acgan_lib.exercises.chapter2 import check_generator
from acgan_lib.exercises.chapter3 import check_conditioning_layer
from acgan_lib.exercises.chapter4 import check_accuracy_verdict, check_auxiliary_loss
from acgan_lib.exercises.chapter5 import check_generator_update
from acgan_lib.exercises.chapter6 import check_class_accuracy
from acgan_lib.exercises.chapter7 import check_distributed_loss
from acgan_lib.exercises.chapter8 import check_seed_difference

CHECKERS = {
    "check_scaling": check_scaling,
    "check_generator": check_generator,
    "check_conditioning_layer": check_conditioning_layer,
    "check_auxiliary_loss": check_auxiliary_loss,
    "check_accuracy_verdict": check_accuracy_verdict,
    "check_generator_update": check_generator_update,
    "check_class_accuracy": check_class_accuracy,
    "check_distributed_loss": check_distributed_loss,
    "check_seed_difference": check_seed_difference,
}

__all__ = ["CheckResult", "CHECKERS", "FAIL", "NOTE", "PASS", *CHECKERS]
