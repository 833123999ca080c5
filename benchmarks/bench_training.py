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
import statistics
import sys
import time
from dataclasses import asdict
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing
sys.path.insert(0, str(HERE))  # its contenders and its report, beside it

from bench_contenders import (BaselineRunner, LibraryRunner, Result, _changed, _load,  # noqa: E402
                              _EpochTimer, machine_description)
from bench_report import (BATCH_SIZE, DEFAULT, args_contention, cpu_table,  # noqa: E402
                          step_budget, study_time_to_quality, write_outputs)

from acgan_lib.instrument import snapshot  # noqa: E402

FUSED = "acgan_lib XLA + fused upsampling"


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
    d0 = snapshot(gan.discriminator.trainable_variables)
    g0 = snapshot(gan.generator.trainable_variables)
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
        from acgan_lib.evidence import fidelity_table

        results = {**previous, "time_to_quality": study_time_to_quality(),
                   "fidelity_targets": fidelity_table()}
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


if __name__ == "__main__":
    sys.exit(main())
