"""Training under ``tf.distribute.MirroredStrategy`` on two logical CPU devices.

The logical devices must be configured before TensorFlow initialises its devices, which the
other tests in this process have already done, so the training runs in a fresh subprocess that
prints its findings as JSON; the assertions are made here.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

BODY = textwrap.dedent(r"""
    import json, os, sys
    import numpy as np
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])

    from acgan_lib.data import load_mnist, make_dataset
    from acgan_lib.catalogue import build_gan

    devices = [d.name for d in tf.config.list_logical_devices("CPU")]
    strategy = tf.distribute.MirroredStrategy(devices[:2])
    data = load_mnist(verbose=False)
    out = {"devices": devices, "replicas": strategy.num_replicas_in_sync}
    GLOBAL_BATCH, STEPS = 32, 3

    with strategy.scope():
        gan = build_gan("acgan", seed=0)  # the library's defaults, unchanged
    out["jit_compile"] = bool(gan.jit_compile)
    variables = gan.generator.trainable_variables + gan.discriminator.trainable_variables
    # A Keras 3 variable wraps the backend's variable: under the strategy, a mirrored one.
    out["variables_mirrored"] = all(
        isinstance(v.value, tf.distribute.DistributedValues)
        and len(strategy.experimental_local_results(v.value)) == 2 for v in variables)
    d0 = [v.numpy().copy() for v in gan.discriminator.trainable_variables]
    g0 = [v.numpy().copy() for v in gan.generator.trainable_variables]

    # The noise each replica draws at step 0, and what one device draws with the same seed.
    per_replica = strategy.run(lambda: gan.sample_inputs(4, 0))
    noise = [t.numpy() for t in strategy.experimental_local_results(per_replica[0])]
    labels = [t.numpy() for t in strategy.experimental_local_results(per_replica[1])]
    single_noise = gan.sample_inputs(4, 0)[0].numpy()
    out["noise_differs_between_replicas"] = bool(not np.allclose(noise[0], noise[1]))
    out["labels_differ_between_replicas"] = bool(not np.array_equal(labels[0], labels[1]))
    out["replica0_noise_equals_single_device"] = bool(np.array_equal(noise[0], single_noise))

    dataset = make_dataset(data.x_train[:256], data.y_train[:256], batch_size=GLOBAL_BATCH,
                           repeat=True)
    history = gan.fit(strategy.experimental_distribute_dataset(dataset), epochs=1,
                      steps_per_epoch=STEPS, verbose=0)
    out["history"] = {k: [float(x) for x in v] for k, v in history.history.items()}
    out["g_optimizer_iterations"] = int(gan.g_optimizer.iterations.numpy())
    out["d_optimizer_iterations"] = int(gan.d_optimizer.iterations.numpy())
    out["d_changed"] = any(not np.array_equal(a, v.numpy())
                           for a, v in zip(d0, gan.discriminator.trainable_variables))
    out["g_changed"] = any(not np.array_equal(a, v.numpy())
                           for a, v in zip(g0, gan.generator.trainable_variables))
    # Mirrored variables must stay identical on both devices (gradients were all-reduced).
    copies = [strategy.experimental_local_results(v.value) for v in variables]
    out["replicas_in_sync"] = all(
        len(c) == 2 and np.array_equal(c[0].numpy(), c[1].numpy()) for c in copies)
    print("RESULT " + json.dumps(out))
""")


@pytest.fixture(scope="module")
def distributed():
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", ACGAN_OFFLINE="1", CUDA_VISIBLE_DEVICES="")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    proc = subprocess.run([sys.executable, "-c", BODY], env=env, capture_output=True, text=True,
                          timeout=600, cwd=ROOT)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, (
        f"the distributed training subprocess failed (exit {proc.returncode}):\n"
        f"{proc.stderr[-4000:]}")
    return json.loads(lines[-1][len("RESULT "):])


def test_two_replicas_mirrored_variables(distributed):
    assert distributed["replicas"] == 2
    assert distributed["variables_mirrored"]


def test_xla_is_off_under_a_strategy(distributed):
    # Keras would XLA-compile strategy.run over both devices as one function, which hangs.
    assert distributed["jit_compile"] is False


def test_trains_with_finite_losses(distributed):
    history = distributed["history"]
    import math

    for name in ("d_loss", "g_loss", "aux_loss_real"):
        assert history[name] and all(math.isfinite(x) for x in history[name]), (name, history)
    # one optimizer step per global batch, for each network
    assert distributed["g_optimizer_iterations"] == 3
    assert distributed["d_optimizer_iterations"] == 3


def test_both_networks_change_and_stay_in_sync(distributed):
    assert distributed["d_changed"], "the discriminator's weights did not change"
    assert distributed["g_changed"], "the generator's weights did not change"
    assert distributed["replicas_in_sync"], "mirrored weights differ between the two devices"


def test_replicas_draw_different_noise(distributed):
    assert distributed["noise_differs_between_replicas"]
    assert distributed["labels_differ_between_replicas"]
    # replica 0 continues the single-device sequence of the same seed
    assert distributed["replica0_noise_equals_single_device"]
