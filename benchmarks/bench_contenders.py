"""The benchmark's contenders: the article's loop and the library's ``fit``, each timed the
same way, with a check that both networks trained; and the machine they ran on."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

from acgan_lib.instrument import moved, snapshot  # noqa: E402


# ------------------------------------------------------------------------------------ machine
def machine_description() -> dict:
    """CPU model, core count, load, accelerator and library versions of this machine."""
    import keras
    import tensorflow as tf

    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpus = tf.config.list_physical_devices("GPU")
    gpu_names = []
    for gpu in gpus:
        try:
            gpu_names.append(tf.config.experimental.get_device_details(gpu).get("device_name",
                                                                                gpu.name))
        except Exception:  # details are best effort
            gpu_names.append(gpu.name)
    return {
        "cpu": cpu,
        "cpu_cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "gpus": gpu_names,
        "load_average": _load(),
    }


def _load() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _changed(before: list[np.ndarray], variables) -> bool:
    """Whether any of the variables differs from its snapshot (instrument's one measure)."""
    return moved(before, snapshot(variables)) > 0


# ------------------------------------------------------------------------------------ contenders
@dataclass
class Result:
    """The measurements of one contender."""

    name: str
    kind: str  # "baseline" or "acgan_lib"
    batch_size: int
    jit_compile: bool | None = None
    steps_per_execution: int = 1
    mixed_precision: bool = False
    steps_per_repetition: int = 0
    fused_upsampling: bool = False
    images_per_s: list[float] = field(default_factory=list)
    warmup_s: float | None = None
    discriminator_trains: bool | None = None
    generator_trains: bool | None = None
    skipped: str | None = None
    note: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.images_per_s) if self.images_per_s else None


class BaselineRunner:
    """The article's loop (Keras 3), from :mod:`acgan_lib.article`, on numpy batches."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, batch_size: int, steps: int):
        import keras

        from acgan_lib.article import ArticleBaseline

        self.result = Result("article loop (baseline)", "baseline", batch_size,
                             steps_per_repetition=steps,
                             note="acgan_lib.article.ArticleBaseline: eager generator + 3 eager "
                                  "metric passes + 3 train_on_batch on numpy, compile-then-freeze")
        self.baseline = ArticleBaseline(keras, batch_size=batch_size)
        # Recorded before the freeze, so the discriminator's list is not empty on Keras 3.
        self.d_vars, self.g_vars = self.baseline.d_parameters, self.baseline.g_parameters
        self.d0, self.g0 = snapshot(self.d_vars), snapshot(self.g_vars)
        self.images, self.labels = images, labels.reshape(-1, 1)
        self.batch_size, self.steps, self.position = batch_size, steps, 0

    def _batch(self):
        n = len(self.images)
        if self.position + self.batch_size > n:
            self.position = 0
        i = self.position
        self.position += self.batch_size
        return self.images[i:i + self.batch_size], self.labels[i:i + self.batch_size]

    def run(self, steps: int) -> float:
        start = time.perf_counter()
        for _ in range(steps):
            self.baseline.step(*self._batch())  # returns numpy losses: synchronous
        return time.perf_counter() - start

    def finish(self) -> None:
        self.result.discriminator_trains = _changed(self.d0, self.d_vars)
        self.result.generator_trains = _changed(self.g0, self.g_vars)


class _EpochTimer:
    """A Keras callback recording the wall time of each epoch (the metrics are read at its end,
    which waits for the last step)."""

    def __new__(cls):
        import keras

        class Timer(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.seconds: list[float] = []

            def on_epoch_begin(self, epoch, logs=None):
                self._start = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                self.seconds.append(time.perf_counter() - self._start)

        return Timer()


class LibraryRunner:
    """``acgan_lib``: ``build_gan`` + ``fit`` on ``make_dataset``, one configuration."""

    def __init__(self, name: str, images: np.ndarray, labels: np.ndarray, batch_size: int,
                 steps: int, jit_compile: bool = True, steps_per_execution: int = 1,
                 mixed_precision: bool = False, fused_upsampling: bool = False, note: str = ""):
        import keras

        from acgan_lib.data import make_dataset
        from acgan_lib.catalogue import build_gan

        self.result = Result(name, "acgan_lib", batch_size, jit_compile, steps_per_execution,
                             mixed_precision, steps, fused_upsampling=fused_upsampling,
                             note=note)
        previous = keras.mixed_precision.dtype_policy()
        if mixed_precision:
            keras.mixed_precision.set_global_policy("mixed_float16")
        try:
            self.gan = build_gan("acgan", seed=0, jit_compile=jit_compile,
                                 steps_per_execution=steps_per_execution,
                                 fused_upsampling=fused_upsampling)
        finally:
            keras.mixed_precision.set_global_policy(previous)
        self.d_vars = self.gan.discriminator.trainable_variables
        self.g_vars = self.gan.generator.trainable_variables
        self.d0, self.g0 = snapshot(self.d_vars), snapshot(self.g_vars)
        self.dataset = make_dataset(images, labels, batch_size=batch_size, repeat=True)

    def run(self, steps: int) -> float:
        timer = _EpochTimer()
        self.gan.fit(self.dataset, epochs=1, steps_per_epoch=steps, verbose=0,
                     callbacks=[timer])
        return timer.seconds[0]

    def finish(self) -> None:
        self.result.discriminator_trains = _changed(self.d0, self.d_vars)
        self.result.generator_trains = _changed(self.g0, self.g_vars)
