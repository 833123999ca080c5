"""Chapter 7's benchmark figures: the results of ``benchmarks/bench_training.py`` (measured on
full runs), shipped as package data (``acgan_lib/results/benchmarks.json``, which the
benchmark writes together with ``benchmarks/results.json``), so that the chapter reads them
from an installed wheel too; and the glue of its live timing, which says what it measured."""

from __future__ import annotations

import json
from importlib.resources import files

from acgan_lib.evidence.arms import (ARTICLE_BUDGET, SHIPPED_BUDGET, _number, arm_runs,
                                     arm_values, check_conclusion, images_to_reach, in_words,
                                     runs_text)
from acgan_lib.notebook import glue
from acgan_lib.pretrained import SHIPPED_NAMES, pretrained_manifest

#: The package's copy of the benchmark's results (``tests/test_benchmark_results.py`` keeps
#: it equal to ``benchmarks/results.json``).
BENCHMARKS = files("acgan_lib") / "results" / "benchmarks.json"


def load_benchmark() -> dict:
    """The benchmark's results, as ``benchmarks/results.json`` holds them."""
    return json.loads(BENCHMARKS.read_text())


def _contender(cpu: dict, name: str) -> dict:
    return next(r for r in cpu["contenders"] if r["name"] == name)


def contenders_table(benchmark: dict) -> str:
    """Markdown: each CPU contender's images per second, ratio and which networks trained."""
    lines = ["| contender | batch | images/s (median) | × article loop | D trains | G trains |",
             "|---|---:|---:|---:|:---:|:---:|"]
    yes = {True: "yes", False: "**no**", None: "-"}
    for r in benchmark["cpu"]["contenders"]:
        if r["skipped"]:
            lines.append(f"| {r['name']} | {r['batch_size']} | skipped | | | |")
            continue
        lines.append(f"| {r['name']} | {r['batch_size']} | {r['median_images_per_s']:,.1f} | "
                     f"{r['ratio_to_baseline']:.2f} | {yes[r['discriminator_trains']]} | "
                     f"{yes[r['generator_trains']]} |")
    return "\n".join(lines)


def plot_benchmark(benchmark: dict, ax) -> None:
    """Bars of images per second (median, min-max) per contender, ratio and D's training."""
    cpu = benchmark["cpu"]
    rows = [r for r in cpu["contenders"] if not r["skipped"]]
    ax.barh([r["name"] for r in rows], [r["median_images_per_s"] for r in rows],
            color=["C3" if r["kind"] == "baseline" else "C0" for r in rows])
    for i, r in enumerate(rows):
        ax.plot([r["min_images_per_s"], r["max_images_per_s"]], [i, i], color="k", lw=1)
        trains = "both networks train" if r["discriminator_trains"] and \
            r["generator_trains"] else "discriminator does NOT train"
        ax.text(r["max_images_per_s"] * 1.02, i, f"{r['ratio_to_baseline']:.2f}×, {trains}",
                va="center", fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.6 * max(r["max_images_per_s"] for r in rows))
    ax.set_xlabel(f"training images per second (median, min-max), batch {cpu['batch_size']}")
    ax.set_title(f"CPU: {cpu['machine']['cpu']}, {cpu['machine']['cpu_cores']} cores")


def glue_benchmark(benchmark: dict) -> None:
    """Glue the benchmark's numbers that chapter 7's conclusions rest on, and check them."""
    cpu, profile = benchmark["cpu"], benchmark.get("profile", {})
    best, machine = cpu["best_same_batch"], cpu["machine"]
    glue("bench_where", f"{machine['cpu']} with {machine['cpu_cores']} cores, TensorFlow "
         f"{machine['tensorflow']}, measured {cpu['measured_at']}")
    glue("bench_baseline", f"{cpu['baseline_images_per_s']:,.0f}")
    glue("bench_default", f"{cpu['default_images_per_s']:,.0f}")
    glue("bench_default_ratio", f"{cpu['default_ratio']:.1f}")
    glue("bench_best", f"{best['name']} ({best['images_per_s']:,.0f} images/s, "
         f"{best['ratio']:.1f}×)")
    glue("bench_d_trains", "its discriminator's weights did not change at all during the run "
         "(the compile-then-freeze of chapter 5)" if cpu["baseline_discriminator_trains"] is False
         else "both of its networks trained")
    target = cpu["target_ratio"]
    glue("bench_target", f"meets the course's target of {target:.0f}×" if cpu["target_met"]
         else f"falls short of the course's target of {target:.0f}×")
    graph = _contender(cpu, "acgan_lib graph")["median_images_per_s"]
    glue("bench_xla_factor", f"{cpu['default_images_per_s'] / graph:.2f}")
    check_conclusion("XLA speeds up the library's step in the benchmark (full runs)",
                     cpu["default_images_per_s"] > graph,
                     f"{cpu['default_images_per_s']} against {graph} images/s")
    check_conclusion("on Keras 3 the article loop's discriminator does not train",
                     cpu["baseline_discriminator_trains"] is False,
                     f"{cpu['baseline_discriminator_trains']}")
    check_conclusion("the default trains more images per second than the article's loop",
                     cpu["default_ratio"] > 1, f"{cpu['default_ratio']}")
    budget = profile.get("budget")
    glue("bench_why", "This results file has no per-part profile (a --quick run)"
         if not budget else
         f"Had the article's loop run at compiled speed, its step (batch "
         f"{budget['batch_size']}) would take about {budget['article_at_compiled_speed_ms']:,.0f}"
         f" ms instead of the {budget['baseline_ms']:,.0f} ms measured (the library's default: "
         f"{budget['default_ms']:,.0f} ms). Of its extra {budget['extra_ms']:,.0f} ms per step, "
         f"about {budget['extra_arithmetic_ms']:,.0f} ms is extra arithmetic and about "
         f"{budget['eager_overhead_ms']:,.0f} ms eager overhead")
    gpu = benchmark.get("gpu") or {}
    glue("bench_gpu", f"On a GPU ({gpu['machine'].get('gpus')}), one full-MNIST epoch of the "
         f"default configuration took {gpu['default_epoch_s']:.2f} s; the fastest, "
         f"{gpu['fastest']['name']}, {gpu['fastest']['epoch_s']:.2f} s." if gpu.get("measured")
         else "The GPU figures have not been measured yet: the benchmark's --gpu mode "
         "measures seconds per full-MNIST epoch in a few minutes.")


def glue_live(timings: list[dict], run_mode: str, gpu: bool) -> None:
    """Glue this build's live timing, saying what it measured (no conclusion rests on it)."""
    base, xla = timings[0], timings[1]
    glue("device_kind", "a GPU" if gpu else "a CPU")
    glue("eager_rate", f"{base['images_per_s']:,.0f}")
    glue("xla_rate", f"{xla['images_per_s']:,.0f}")
    glue("xla_first_step", f"{xla['first_step_s']:.0f}")
    glue("live_note", "This build ran in the smoke mode: with a handful of timed steps, these "
         "numbers measure start-up costs, not the speed of training, so no conclusion is drawn "
         "from them." if run_mode == "smoke" else
         "Each configuration was timed on the same data with a freshly built model; one "
         "timing per configuration, so small differences are noise.")


def glue_batch_study() -> None:
    """Exercise 7.3's solution: the study's acgan runs at batch 256 (the article's budget)
    against those at batch 64 (the shipped one), after the same number of images."""
    short = arm_runs("acgan", SHIPPED_BUDGET)
    seen = max(r["images_seen"] for r in short)
    at_seen = [max((row for row in r["curve"] if row["images_seen"] <= seen),
                   key=lambda row: row["images_seen"])["label_accuracy"]
               for r in arm_runs("acgan", ARTICLE_BUDGET)]
    final = arm_values("label_accuracy", "acgan", SHIPPED_BUDGET)
    check_conclusion("after the short runs' images, every batch-256 run is behind every "
                     "batch-64 run", max(at_seen) < final.low, f"{at_seen} against "
                     f"{final.values}")
    factors = [n / seen for n in images_to_reach("acgan", "label_accuracy", final.mean,
                                                 ARTICLE_BUDGET)]
    check_conclusion("batch 256 needs two to three times the images to reach batch 64's "
                     "mean final accuracy", all(1.5 <= f <= 3.5 for f in factors),
                     f"{factors}")
    glue("runs_256", runs_text(["acgan"], ARTICLE_BUDGET))
    glue("runs_64", runs_text(["acgan"], SHIPPED_BUDGET))
    glue("seen_64", f"{seen:,}")
    glue("catch_up", f"{min(factors):.1f} to {max(factors):.1f}" if len(factors) > 1
         else f"{factors[0]:.1f}")


def glue_shipped_batches() -> None:
    """The batch sizes of the shipped models, from their manifests: ``"64 (the four trained
    for 2 epochs) and 256 (the three trained for 20)"``."""
    groups: dict[tuple[int, int], int] = {}
    for name in SHIPPED_NAMES:
        m = pretrained_manifest(name)
        groups[m["batch_size"], m["epochs"]] = groups.get((m["batch_size"], m["epochs"]), 0) + 1
    check_conclusion("the shipped models use batches of 64 and of 256, one budget each",
                     sorted(b for b, _ in groups) == [64, 256], f"{groups}")
    glue("shipped_batches", in_words([f"{b} (the {_number(n)} trained for {e} epochs)"
                                      for (b, e), n in sorted(groups.items())]))
