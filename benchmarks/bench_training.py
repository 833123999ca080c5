"""Training speed, side by side: the article's loop against ``acgan_lib``'s training.

Run from the repository root::

    python benchmarks/bench_training.py            # CPU: full run (5-20 minutes on 2 cores)
    python benchmarks/bench_training.py --quick    # CPU: a short run (fewer steps, repetitions)
    python benchmarks/bench_training.py --gpu [--data mnist.npz]   # GPU: seconds per MNIST epoch

**CPU mode** measures images per second, in one process and interleaved round by round (so
that a machine whose load changes slows every contender alike), of

(a) the *baseline*: the seed article's per-step work written for Keras 3
    (:class:`acgan_lib.article.ArticleBaseline`: numpy noise, an eager generator pass, three
    eager forward passes for the accuracy metrics, then three ``train_on_batch`` calls on numpy
    arrays, with the article's compile-then-freeze), and
(b) ``acgan_lib``'s training (``build_gan`` + ``fit`` on ``make_dataset``) in variants: graph
    (``jit_compile=False``), XLA (``jit_compile=True``, the library's default), XLA with
    ``steps_per_execution``, XLA with a larger batch, and mixed precision (GPU only).

Everything uses the same architecture (the article's ACGAN, 422,100 parameters), the same real
MNIST images and batch size 256 (the article's) unless a variant says otherwise. Each contender
gets a warm-up (compilation) and then several timed repetitions; the table shows the median,
the spread (min-max) and the ratio to the baseline. The benchmark also checks that both networks
actually trained in each contender (their trainable weights changed) and reports that the
baseline's discriminator does not (Keras 3 reads ``trainable`` when the step runs, so the
article's freeze also freezes the discriminator's own ``train_on_batch``).

**GPU mode** (``--gpu``) measures seconds per full-MNIST epoch (60,000 images) for the default
configuration (``python -m acgan_lib train``: batch 64, XLA) and faster ones (larger batch,
``steps_per_execution``, mixed precision), in one short run.

Results go to ``benchmarks/results.json`` (machine-readable; chapter 7 of the book reads it) and
``benchmarks/RESULTS.md``. A GPU run writes its own section to both and keeps the CPU section.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import string
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

BATCH_SIZE = 256  # the article's
DEFAULT = "acgan_lib XLA (default)"
FUSED = "acgan_lib XLA + fused upsampling"


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


# ------------------------------------------------------------------------------------ weights
def _snapshot(variables) -> list[np.ndarray]:
    return [np.array(v.numpy(), dtype=np.float32, copy=True) for v in variables]


def _changed(before: list[np.ndarray], variables) -> bool:
    """Whether any of the variables differs from its snapshot."""
    return any(not np.array_equal(b, np.asarray(v.numpy(), np.float32))
               for b, v in zip(before, variables))


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
        self.d0, self.g0 = _snapshot(self.d_vars), _snapshot(self.g_vars)
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
        self.d0, self.g0 = _snapshot(self.d_vars), _snapshot(self.g_vars)
        self.dataset = make_dataset(images, labels, batch_size=batch_size, repeat=True)

    def run(self, steps: int) -> float:
        timer = _EpochTimer()
        self.gan.fit(self.dataset, epochs=1, steps_per_epoch=steps, verbose=0,
                     callbacks=[timer])
        return timer.seconds[0]

    def finish(self) -> None:
        self.result.discriminator_trains = _changed(self.d0, self.d_vars)
        self.result.generator_trains = _changed(self.g0, self.g_vars)


def _spread(values: list[float]) -> str:
    return f"{min(values):.1f}-{max(values):.1f}" if values else "-"


# ------------------------------------------------------------------------------------ CPU mode
def cpu_benchmark(args) -> dict:
    import tensorflow as tf

    from acgan_lib.data import load_mnist, scale_images

    steps, reps = (2, 3) if args.quick else (args.steps, args.repetitions)
    data = load_mnist(args.data, source=args.source, verbose=False)
    images, labels = scale_images(data.x_train), data.y_train.astype(np.int32)
    on_gpu = bool(tf.config.list_physical_devices("GPU"))
    big = args.large_batch
    big_steps = max(1, steps * BATCH_SIZE // big)
    spe = args.steps_per_execution
    spe_steps = max(spe, steps // spe * spe)
    print(f"data: {data.description}")
    print(f"batch {BATCH_SIZE}: {steps} steps per repetition, {reps} repetitions after a "
          f"warm-up; contenders run interleaved, one repetition each per round")

    runners: list = [BaselineRunner(images, labels, BATCH_SIZE, steps)]
    fused = dict(jit_compile=True, fused_upsampling=True)
    configs = [
        ("acgan_lib graph", dict(jit_compile=False), steps, BATCH_SIZE, ""),
        (DEFAULT, dict(jit_compile=True), steps, BATCH_SIZE, ""),
        (FUSED, fused, steps, BATCH_SIZE,
         "build_gan(fused_upsampling=True): same weights and function, fewer multiply-adds"),
        (f"{FUSED}, steps_per_execution={spe}", dict(fused, steps_per_execution=spe),
         spe_steps, BATCH_SIZE, ""),
        (f"{FUSED}, batch {big}", fused, big_steps, big,
         "a larger batch changes the optimisation (fewer updates per epoch), not only the speed"),
    ]
    if args.quick:  # the two that answer "how much faster": the default and the fastest
        configs = [c for c in configs if c[0] in (DEFAULT, FUSED)]
    for name, kwargs, n_steps, batch, note in configs:
        runners.append(LibraryRunner(name, images, labels, batch, n_steps, note=note, **kwargs))
    skipped = []
    mp_name = f"{FUSED}, mixed precision"
    if on_gpu:
        runners.append(LibraryRunner(mp_name, images, labels, BATCH_SIZE, steps,
                                     mixed_precision=True, **fused))
    else:
        skipped.append(Result(mp_name, "acgan_lib", BATCH_SIZE, True, mixed_precision=True,
                              fused_upsampling=True,
                              skipped="no GPU: float16 has no fast path on a CPU (measure with "
                                      "--gpu on a GPU)"))

    print("warm-up (compilation) ...", flush=True)
    for runner in runners:
        first = runner.result.steps_per_execution
        runner.result.warmup_s = round(runner.run(max(first, 1)), 2)
        print(f"  {runner.result.name}: {runner.result.warmup_s:.1f} s", flush=True)
    load_before = _load()
    for r in range(reps):
        for runner in runners:
            seconds = runner.run(runner.result.steps_per_repetition)
            n_images = runner.result.steps_per_repetition * runner.result.batch_size
            runner.result.images_per_s.append(round(n_images / seconds, 2))
        print(f"  round {r + 1}/{reps}: " + ", ".join(
            f"{x.result.images_per_s[-1]:.0f}" for x in runners) + " images/s", flush=True)
    for runner in runners:
        runner.finish()
    results = [x.result for x in runners] + skipped
    return _summarise(results, data, steps, reps, load_before)


def _summarise(results: list[Result], data, steps: int, reps: int, load_before) -> dict:
    base = results[0]
    rows = []
    for res in results:
        row = asdict(res)
        row["median_images_per_s"] = res.median
        row["min_images_per_s"] = min(res.images_per_s) if res.images_per_s else None
        row["max_images_per_s"] = max(res.images_per_s) if res.images_per_s else None
        if res.images_per_s and base.images_per_s:
            row["ratio_to_baseline"] = round(res.median / base.median, 2)
            paired = [a / b for a, b in zip(res.images_per_s, base.images_per_s)]
            row["paired_ratios"] = [round(p, 2) for p in paired]
        else:
            row["ratio_to_baseline"] = None
            row["paired_ratios"] = []
        rows.append(row)
    default = next(r for r in rows if r["name"] == DEFAULT)
    same_batch = [r for r in rows if r["kind"] == "acgan_lib" and r["batch_size"] == BATCH_SIZE
                  and r["ratio_to_baseline"] is not None and r["discriminator_trains"]
                  and r["generator_trains"]]
    best = max(same_batch, key=lambda r: r["ratio_to_baseline"])
    return {
        "data": data.description,
        "batch_size": BATCH_SIZE,
        "steps_per_repetition": steps,
        "repetitions": reps,
        "load_average_during": [load_before, _load()],
        "contenders": rows,
        "baseline_images_per_s": base.median,
        "default_images_per_s": default["median_images_per_s"],
        "default_ratio": default["ratio_to_baseline"],
        "best_same_batch": {"name": best["name"], "images_per_s": best["median_images_per_s"],
                            "ratio": best["ratio_to_baseline"]},
        "target_ratio": 5.0,
        "target_met": bool(best["ratio_to_baseline"] >= 5.0),
        "baseline_discriminator_trains": base.discriminator_trains,
        "baseline_generator_trains": base.generator_trains,
        "changes": _changes(rows),
    }


#: (change, contender with it, contender without it): the effect of one change at a time.
CHANGES = [
    ("XLA (jit_compile=True) instead of a plain compiled graph", DEFAULT, "acgan_lib graph"),
    ("fused upsampling (UpSamplingConv2D) on top of XLA", FUSED, DEFAULT),
    ("steps_per_execution={spe} on top of fused upsampling", FUSED + ", steps_per_execution=",
     FUSED),
    ("batch {big} instead of 256 (changes the optimisation)", FUSED + ", batch ", FUSED),
]


def _changes(rows: list[dict]) -> list[dict]:
    """Speed-up of each change: the median, over rounds, of (with / without) in the same round."""
    out = []
    for text, with_name, without_name in CHANGES:
        with_row = next((r for r in rows if r["name"].startswith(with_name)
                         and (with_name != FUSED or r["name"] == FUSED)), None)
        without = next((r for r in rows if r["name"] == without_name), None)
        if not with_row or not without or not with_row["images_per_s"]:
            continue
        paired = [a / b for a, b in zip(with_row["images_per_s"], without["images_per_s"])]
        out.append({"change": text.format(spe=with_row["steps_per_execution"],
                                          big=with_row["batch_size"]),
                    "with": with_row["name"], "without": without["name"],
                    "speedup_median": round(statistics.median(paired), 2),
                    "speedup_min": round(min(paired), 2), "speedup_max": round(max(paired), 2)})
    return out


def cpu_table(cpu: dict) -> str:
    header = (f"{'contender':58s} {'batch':>5s} {'images/s':>9s} {'min-max':>13s} "
              f"{'x baseline':>10s}  D trains  G trains")
    lines = [header, "-" * len(header)]
    for r in cpu["contenders"]:
        if r["skipped"]:
            lines.append(f"{r['name']:58s} {r['batch_size']:5d}  skipped: {r['skipped']}")
            continue
        ratio = "1.00" if r["kind"] == "baseline" else f"{r['ratio_to_baseline']:.2f}"
        lines.append(f"{r['name']:58s} {r['batch_size']:5d} {r['median_images_per_s']:9.1f} "
                     f"{_spread(r['images_per_s']):>13s} {ratio:>10s}  "
                     f"{_yes(r['discriminator_trains']):8s}  {_yes(r['generator_trains'])}")
    return "\n".join(lines)


def _yes(flag) -> str:
    return "-" if flag is None else ("yes" if flag else "NO")


# ------------------------------------------------------------------------------------ GPU mode
def gpu_benchmark(args) -> dict:
    """Seconds per full-MNIST epoch (60,000 images) for the default and faster configurations."""
    import tensorflow as tf

    from acgan_lib.data import load_mnist, scale_images

    if not tf.config.list_physical_devices("GPU") and not args.allow_cpu:
        raise SystemExit("error: --gpu needs a GPU (TensorFlow sees none); run on a GPU machine, "
                         "or add --allow-cpu to try the GPU mode's code path on the CPU")
    data = load_mnist(args.data, source=args.source, verbose=False)
    images, labels = data.x_train, data.y_train
    data_note = data.description
    n = args.epoch_images
    if len(images) < n:
        reps = -(-n // len(images))
        images = np.concatenate([images] * reps)[:n]
        labels = np.concatenate([labels] * reps)[:n]
        data_note += (f"; repeated to {n:,} images (full MNIST not available: pass --data "
                      f"mnist.npz for the real training set)")
    elif len(images) > n:
        images, labels = images[:n], labels[:n]
        data_note += f"; first {n:,} images"
    images, labels = scale_images(images), labels.astype(np.int32)
    print(f"data: {data_note}")
    fast = dict(jit_compile=True, fused_upsampling=True)
    configs = [
        ("default (batch 64, XLA)", 64, dict(jit_compile=True)),
        ("batch 256, XLA, steps_per_execution=32", 256,
         dict(jit_compile=True, steps_per_execution=32)),
        ("batch 256, XLA, fused upsampling, steps_per_execution=32", 256,
         dict(fast, steps_per_execution=32)),
        ("batch 256, XLA, fused upsampling, steps_per_execution=32, mixed precision", 256,
         dict(fast, steps_per_execution=32, mixed_precision=True)),
        ("batch 1024, XLA, fused upsampling, steps_per_execution=8, mixed precision", 1024,
         dict(fast, steps_per_execution=8, mixed_precision=True)),
    ]
    if args.quick:
        configs = [configs[0], configs[3]]
    rows = []
    for name, batch, kwargs in configs:
        row = _gpu_epochs(name, images, labels, batch, kwargs, args.gpu_epochs)
        rows.append(row)
        print(f"  {name}: {row['median_epoch_s']:.2f} s per epoch "
              f"(epochs {row['epoch_s']}, first epoch with compilation {row['first_epoch_s']} s)",
              flush=True)
    default = rows[0]
    fastest = min(rows, key=lambda r: r["median_epoch_s"])
    on_gpu = bool(tf.config.list_physical_devices("GPU"))  # False only in a --allow-cpu trial
    return {"measured": on_gpu, "data": data_note, "configurations": rows,
            "default_epoch_s": default["median_epoch_s"],
            "fastest": {"name": fastest["name"], "epoch_s": fastest["median_epoch_s"]},
            "target_default_epoch_s": 1.0}


def _gpu_epochs(name: str, images, labels, batch: int, kwargs: dict, epochs: int) -> dict:
    import keras

    from acgan_lib.data import make_dataset
    from acgan_lib.catalogue import build_gan

    mixed = kwargs.pop("mixed_precision", False)
    previous = keras.mixed_precision.dtype_policy()
    if mixed:
        keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        gan = build_gan("acgan", seed=0, **kwargs)
    finally:
        keras.mixed_precision.set_global_policy(previous)
    d0 = _snapshot(gan.discriminator.trainable_variables)
    g0 = _snapshot(gan.generator.trainable_variables)
    dataset = make_dataset(images, labels, batch_size=batch)
    timer = _EpochTimer()
    history = gan.fit(dataset, epochs=1 + epochs, verbose=0, callbacks=[timer])
    times = [round(t, 3) for t in timer.seconds]
    return {"name": name, "batch_size": batch, "mixed_precision": mixed, **kwargs,
            "first_epoch_s": times[0], "epoch_s": times[1:],
            "median_epoch_s": statistics.median(times[1:]),
            "images_per_s": round(len(images) // batch * batch / statistics.median(times[1:])),
            "final_d_loss": float(history.history["d_loss"][-1]),
            "final_g_loss": float(history.history["g_loss"][-1]),
            "discriminator_trains": _changed(d0, gan.discriminator.trainable_variables),
            "generator_trains": _changed(g0, gan.generator.trainable_variables)}


# ------------------------------------------------------------------------------------ output
def write_outputs(results: dict, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    (out_dir / "RESULTS.md").write_text(render_markdown(results))


TEMPLATE = HERE / "RESULTS.template.md"


def _sections(path: Path = TEMPLATE) -> dict[str, string.Template]:
    """The template's sections: the text after each ``<!-- section: NAME -->`` line."""
    parts = re.split(r"^<!-- section: ([a-z_]+) -->\n", path.read_text(), flags=re.M)
    return {name: string.Template(text) for name, text in zip(parts[1::2], parts[2::2])}


def render_markdown(results: dict) -> str:
    """RESULTS.md: the prose of ``RESULTS.template.md`` with the numbers of ``results``."""
    t = _sections()
    out = [t["header"].substitute()]
    cpu = results.get("cpu")
    if cpu:
        cm = cpu.get("machine", results["machine"])
        out.append(t["cpu"].substitute(
            measured_at=cpu["measured_at"], command=cpu["command"], cpu=cm["cpu"],
            cores=cm["cpu_cores"], tensorflow=cm["tensorflow"], keras=cm["keras"],
            platform=cm["platform"], data=cpu["data"], repetitions=cpu["repetitions"],
            steps=cpu["steps_per_repetition"], batch=cpu["batch_size"],
            load_start=cpu["load_average_during"][0], load_end=cpu["load_average_during"][1],
            contention=cpu.get("contention_note") or "", table=cpu_table(cpu),
            default_ratio=f"{cpu['default_ratio']:.2f}", best_name=cpu["best_same_batch"]["name"],
            best_ratio=f"{cpu['best_same_batch']['ratio']:.2f}",
            target=f"{cpu['target_ratio']:.0f}",
            target_verdict="met" if cpu["target_met"] else "NOT met",
            paired=_default_row(cpu)["paired_ratios"]))
        frozen = cpu["baseline_discriminator_trains"] is False
        out.append(t["baseline_frozen" if frozen else "baseline_trains"].substitute(
            default_ratio1=f"{cpu['default_ratio']:.1f}",
            best_ratio1=f"{cpu['best_same_batch']['ratio']:.1f}"))
    prof = results.get("profile")
    if prof:
        rows = "\n".join(f"| {p['name']} | {p['ms']:.0f} | {p['share']:.0%} |"
                         for p in prof["parts"])
        out.append(t["profile"].substitute(rows=rows, note=prof["note"]))
        if cpu:
            out.append(budget_paragraph(cpu, prof, t) + "\n\n")
    pipe = results.get("input_pipeline")
    if pipe and cpu:
        out.append(t["pipeline"].substitute(
            images_per_s=f"{pipe['images_per_s']:,.0f}", images=f"{pipe['images']:,}",
            times=f"{pipe['images_per_s'] / max(cpu['default_images_per_s'], 1e-9):,.0f}"))
    if cpu and cpu.get("changes"):
        rows = "\n".join(f"| {c['change']} | {c['speedup_median']:.2f}x | "
                         f"{c['speedup_min']:.2f}-{c['speedup_max']:.2f} |"
                         for c in cpu["changes"])
        out.append(t["changes"].substitute(rows=rows))
    if results.get("time_to_quality"):
        out.append(t["time_to_quality"].substitute(
            rows=time_to_quality_rows(results["time_to_quality"]),
            article_loop=article_loop_paragraph(results)))
    gpu = results.get("gpu") or {"measured": False}
    if not gpu.get("measured"):
        out.append(t["gpu_unmeasured"].substitute())
    else:
        gm = gpu.get("machine", results["machine"])
        rows = "\n".join(f"| {r['name']} | {r['batch_size']} | {r['median_epoch_s']:.2f} | "
                         f"{r['images_per_s']:,} | {_yes(r['discriminator_trains'])} | "
                         f"{_yes(r['generator_trains'])} |" for r in gpu["configurations"])
        out.append(t["gpu_measured"].substitute(
            measured_at=gpu["measured_at"], gpus=", ".join(gm["gpus"]) or "a GPU",
            tensorflow=gm["tensorflow"], data=gpu["data"], rows=rows,
            default_s=f"{gpu['default_epoch_s']:.2f}",
            target_s=f"{gpu['target_default_epoch_s']:.0f}",
            fastest_name=gpu["fastest"]["name"], fastest_s=f"{gpu['fastest']['epoch_s']:.2f}"))
    out.append(t["keys"].substitute())
    return "".join(out)


def step_budget(cpu: dict, prof: dict) -> dict:
    """Where the article loop's extra time per step goes, from the measured rates and the
    profile: extra arithmetic (passes the library does not make) versus eager overhead.
    Stored in ``results.json`` (``profile.budget``) for RESULTS.md and chapter 7."""
    batch = cpu["batch_size"]
    base_ms = 1000 * batch / cpu["baseline_images_per_s"]
    default_ms = 1000 * batch / cpu["default_images_per_s"]
    est = prof["article_loop_estimate_ms"]
    return {"batch_size": batch, "baseline_ms": round(base_ms, 1),
            "default_ms": round(default_ms, 1),
            "best_ms": round(1000 * batch / cpu["best_same_batch"]["images_per_s"], 1),
            "article_at_compiled_speed_ms": est,
            "extra_ms": round(base_ms - default_ms, 1),
            "extra_arithmetic_ms": round(max(est - default_ms, 0), 1),
            "eager_overhead_ms": round(max(base_ms - est, 0), 1),
            "target_step_ms": round(base_ms / cpu["target_ratio"], 1)}


def budget_paragraph(cpu: dict, prof: dict, sections: dict | None = None) -> str:
    """The step's time budget (``prof["budget"]``) in words, with the verdict on the target."""
    t = sections or _sections()
    b = prof["budget"]
    target = f"{cpu['target_ratio']:.0f}"
    if cpu["target_met"]:
        verdict = t["budget_met"].substitute(target=target)
    else:
        verdict = t["budget_not_met"].substitute(
            target=target, target_ms=f"{b['target_step_ms']:,.0f}",
            generator_ms=f"{_part_ms(prof, 'generator forward + backward'):,.0f}",
            fused_ms=f"{_part_ms(prof, 'generator forward + backward, fused upsampling'):,.0f}")
    return t["budget"].substitute(
        batch=b["batch_size"], baseline_ms=f"{b['baseline_ms']:,.0f}",
        default_ms=f"{b['default_ms']:,.0f}", best_ms=f"{b['best_ms']:,.0f}",
        compiled_ms=f"{b['article_at_compiled_speed_ms']:,.0f}", extra_ms=f"{b['extra_ms']:,.0f}",
        arithmetic_ms=f"{b['extra_arithmetic_ms']:,.0f}",
        overhead_ms=f"{b['eager_overhead_ms']:,.0f}", verdict=verdict.strip()).strip()


def _part_ms(prof: dict, name: str) -> float:
    return next((p["ms"] for p in prof["parts"] if p["name"] == name), float("nan"))


def _default_row(cpu: dict) -> dict:
    return next(r for r in cpu["contenders"] if r["name"] == DEFAULT)


# ------------------------------------------------------------------------------------ extras
def profile_step(batch_size: int = BATCH_SIZE, reps: int = 3) -> dict:
    """Time the parts of one train step separately (compiled with XLA), to see what dominates."""
    import tensorflow as tf

    from acgan_lib.data import load_mnist, scale_images
    from acgan_lib.catalogue import build_gan

    gan = build_gan("acgan", seed=0)
    g, d = gan.generator, gan.discriminator
    data = load_mnist(verbose=False)
    real = tf.constant(scale_images(data.x_train[:batch_size]))
    labels = tf.constant(data.y_train[:batch_size].reshape(-1, 1).astype(np.int32))
    noise, fake_labels = gan.sample_inputs(batch_size, 0)

    def generator_forward():
        return g([noise, fake_labels], training=True)

    def generator_backward():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(g([noise, fake_labels], training=True))
        return tape.gradient(loss, g.trainable_variables)

    fused_g = build_gan("acgan", seed=0, fused_upsampling=True).generator
    fused_g.set_weights(g.get_weights())

    def fused_generator_backward():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(fused_g([noise, fake_labels], training=True))
        return tape.gradient(loss, fused_g.trainable_variables)

    def discriminator_update_pass():
        with tf.GradientTape() as tape:
            a, b = d(real, training=True)
            c, e = d(real, training=True)
            loss = tf.reduce_mean(a) + tf.reduce_mean(b) + tf.reduce_mean(c) + tf.reduce_mean(e)
        return tape.gradient(loss, d.trainable_variables)

    def whole_step():
        return gan.train_step((real, labels))

    parts = {"generator forward": generator_forward,
             "generator forward + backward": generator_backward,
             "generator forward + backward, fused upsampling": fused_generator_backward,
             "discriminator forward + backward on real and generated batches":
                 discriminator_update_pass,
             "whole train step (both updates, metrics)": whole_step}
    fns = {k: tf.function(f, jit_compile=True, autograph=False) for k, f in parts.items()}
    times = {k: [] for k in fns}
    for r in range(reps + 1):
        for k, f in fns.items():
            start = time.perf_counter()
            tf.nest.map_structure(lambda t: np.asarray(tf.convert_to_tensor(t)), f())
            if r:
                times[k].append(time.perf_counter() - start)
    step = statistics.median(times["whole train step (both updates, metrics)"])
    rows = [{"name": k, "ms": round(statistics.median(v) * 1000, 1),
             "share": round(statistics.median(v) / step, 3)} for k, v in times.items()]
    med = {k: statistics.median(v) for k, v in times.items()}
    # The article's loop, if each of its passes ran as fast as ours: two extra generator
    # forward passes (the eager fakes and the eager combined-model metric pass) on top of one
    # generator forward + backward (the combined train_on_batch), plus the discriminator work.
    d_part = med["discriminator forward + backward on real and generated batches"]
    article_estimate = 2 * med["generator forward"] + med["generator forward + backward"] + d_part
    bound = {"article_loop_estimate_ms": round(article_estimate * 1000, 1),
             "ratio_bound_default": round(article_estimate / step, 2)}
    return {"parts": rows, **bound, "note": (
        "The generator is about 97% of the arithmetic (its 3x3 convolutions at 14x14x128 and "
        "28x28x64 after the upsamplings: ~74 M multiply-adds per image, against ~2.2 M for the "
        "discriminator), so a step costs roughly one generator forward + backward. The library's "
        "step runs the generator forward once and backward once; the article's loop runs it "
        "forward three times (one eager pass to make the fakes, one eager pass inside the "
        "combined model for its accuracy metric, one in the combined `train_on_batch`) and "
        "backward once. If every pass of the article's loop ran as fast as the library's "
        f"compiled ones, its step would take about {article_estimate * 1000:.0f} ms (2 generator "
        "forwards + 1 generator forward/backward + the discriminator part): on arithmetic alone "
        f"the default step can be at most about {bound['ratio_bound_default']:.1f}x faster than "
        "the article's loop; the rest of the measured ratio is the loop's overhead (eager "
        "execution, numpy conversions, three separate `train_on_batch` calls). Fused upsampling "
        "cuts the generator's arithmetic itself, which is why it moves the ratio further.")}


def input_pipeline_speed(batch_size: int = BATCH_SIZE, n: int = 60_000) -> dict:
    """Images/s that ``make_dataset`` alone delivers (one pass to fill the cache, one timed)."""
    from acgan_lib.data import load_mnist, make_dataset

    data = load_mnist(verbose=False)
    reps = -(-n // len(data.x_train))
    images = np.concatenate([data.x_train] * reps)[:n]
    labels = np.concatenate([data.y_train] * reps)[:n]
    ds = make_dataset(images, labels, batch_size=batch_size)
    for _ in ds:  # fills the cache
        pass
    start = time.perf_counter()
    count = 0
    for x, _ in ds:
        count += int(x.shape[0])
    return {"images": count, "images_per_s": round(count / (time.perf_counter() - start), 1)}


# ------------------------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a short run: baseline, default and fused only; 2 steps x 3 "
                             "repetitions; no profile")
    parser.add_argument("--gpu", action="store_true",
                        help="GPU mode: seconds per full-MNIST epoch (default vs fastest)")
    parser.add_argument("--data", help="an MNIST .npz (Keras layout); default: load_mnist()'s "
                                       "search (Keras cache/download, then the offline sample)")
    parser.add_argument("--source", default="auto", choices=["auto", "path", "keras", "sample"])
    parser.add_argument("--steps", type=int, default=2, help="steps per repetition (CPU mode)")
    parser.add_argument("--repetitions", type=int, default=5, help="timed repetitions (CPU)")
    parser.add_argument("--steps-per-execution", type=int, default=4)
    parser.add_argument("--large-batch", type=int, default=1024)
    parser.add_argument("--gpu-epochs", type=int, default=2, help="timed epochs per GPU config")
    parser.add_argument("--no-profile", action="store_true", help="skip the per-part profile")
    parser.add_argument("--allow-cpu", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--epoch-images", type=int, default=60_000, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=str(HERE), help="where results.json/RESULTS.md go")
    parser.add_argument("--time-to-quality", action="store_true",
                        help="only update the time-to-quality section from the shipped study "
                             "(acgan_lib/results/study.json); measures nothing")
    args = parser.parse_args(argv)

    out_dir = Path(args.out)
    previous = {}
    if (out_dir / "results.json").is_file():
        try:
            previous = json.loads((out_dir / "results.json").read_text())
        except ValueError:
            previous = {}
    if args.time_to_quality:
        results = {**previous, "time_to_quality": study_time_to_quality()}
        write_outputs(results, out_dir)
        print(f"wrote the time-to-quality section of {out_dir / 'RESULTS.md'}")
        return 0
    machine = machine_description()
    command = "python benchmarks/bench_training.py " + " ".join(argv if argv is not None
                                                                 else sys.argv[1:])
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    results = dict(previous)
    results["machine"] = machine
    print(f"machine: {machine['cpu']}, {machine['cpu_cores']} cores, TensorFlow "
          f"{machine['tensorflow']}, Keras {machine['keras']}, GPUs: {machine['gpus'] or 'none'}, "
          f"load average {machine['load_average']}")
    if args.gpu:
        gpu = gpu_benchmark(args)
        gpu.update(measured_at=stamp, command=command.strip(), machine=machine)
        results["gpu"] = gpu
    else:
        cpu = cpu_benchmark(args)
        cpu.update(measured_at=stamp, command=command.strip(), machine=machine,
                   contention_note=args_contention(machine))
        results["cpu"] = cpu
        results.pop("profile", None)  # measured again below (full runs), never left stale
        results.pop("input_pipeline", None)
        results.setdefault("gpu", {"measured": False,
                                   "note": "no GPU was available; run with --gpu on one"})
        if not args.no_profile and not args.quick:
            print("profiling the train step ...", flush=True)
            results["profile"] = profile_step()
            results["profile"]["budget"] = step_budget(cpu, results["profile"])
            results["input_pipeline"] = input_pipeline_speed()
        print()
        print(cpu_table(cpu))
        print(f"\nacgan_lib default (XLA) / article loop: {cpu['default_ratio']:.2f}x "
              f"(target >= 5x: {'met' if cpu['target_met'] else 'NOT met'}); best at batch "
              f"{BATCH_SIZE}: {cpu['best_same_batch']['name']}, {cpu['best_same_batch']['ratio']:.2f}x")
        if cpu["baseline_discriminator_trains"] is False:
            print("The article loop's discriminator did NOT train (weights unchanged): on Keras 3 "
                  "its compile-then-freeze freezes the discriminator's own train_on_batch too.")
    write_outputs(results, out_dir)
    print(f"wrote {out_dir / 'results.json'} and {out_dir / 'RESULTS.md'}")
    return 0


def study_time_to_quality() -> dict:
    """The time-to-quality table from the shipped study (``acgan_lib.study``)."""
    from acgan_lib.study import load_study, time_to_quality

    return time_to_quality(load_study())


def time_to_quality_rows(table: dict) -> str:
    """The rows of RESULTS.md's time-to-quality table."""
    lines = []
    for arm in table.values():
        cells = [arm["model"], f"{arm['epochs']} epochs, batch {arm['batch_size']}",
                 str(arm["seeds"])]
        for key in ("0.90", "0.95"):
            t = arm["thresholds"][key]
            if t["reached"]:
                cells += [f"{t['reached']} of {arm['seeds']}", f"{t['median_images']:,.0f}",
                          f"{t['median_minutes']:.1f}"]
            else:
                cells += [f"never (0 of {arm['seeds']})", "-", "-"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def article_loop_paragraph(results: dict) -> str:
    """What the time-to-quality table says about the article's own loop, measured or not."""
    from acgan_lib.article_run import ARTICLE_LOOP
    from acgan_lib.study import STUDIES

    loops = [a for a in results["time_to_quality"].values() if a["model"] == ARTICLE_LOOP]
    if not loops:
        plan = STUDIES["article-loop"][0]
        # its budget in images, as the study's runs of the same epochs and batch measured it
        same = [a["images"] for a in results["time_to_quality"].values()
                if (a["epochs"], a["batch_size"]) == (plan.epochs, plan.batch_size)]
        rate = (results.get("cpu") or {}).get("baseline_images_per_s")
        hours = f"about {same[0] / rate / 3600:.1f} hours" if rate and same else "hours"
        return ("**The article's own loop is not in this table yet.** Its run over the "
                "article's budget (`python -m acgan_lib study article-loop --data mnist.npz`, "
                f"resumable after every epoch) needs {hours} on 2 CPU cores at its measured "
                f"{rate or 0:.0f} images/s, and has not been run to the end; until it has, "
                "this file has no measured answer for it.")
    loop = loops[0]
    reached = [k for k, v in loop["thresholds"].items() if v["reached"]]
    verdict = (f"reaches {float(reached[-1]):.0%} after all" if reached else
               "never reaches 90%")
    return (f"**The article's own loop** (`{ARTICLE_LOOP}`: "
            "`acgan_lib.article.ArticleBaseline`, whose discriminator never trains on "
            f"Keras 3) {verdict}: over {loop['images']:,} training images "
            f"({loop['minutes'] / 60:.1f} hours of training on 2 CPU cores), the best label "
            f"accuracy of its curve is {loop['best_label_accuracy']:.0%} (chance: 10%).")


def args_contention(machine: dict) -> str:
    load = machine.get("load_average") or [0]
    cores = machine.get("cpu_cores") or 1
    if load[0] > 0.5 * cores:
        return (f"The machine was shared (load {load[0]} on {cores} cores at the start): absolute "
                f"images/s are depressed; the ratios, measured side by side in the same rounds, "
                f"are what carries over.")
    return ""


if __name__ == "__main__":
    sys.exit(main())
