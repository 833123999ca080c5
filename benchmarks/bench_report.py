"""The benchmark's report: ``RESULTS.md`` rendered from ``results.json`` with the prose of
``RESULTS.template.md``, and the tables and paragraphs it is made of (``bench_training.py``
measures; this file only writes what was measured)."""

from __future__ import annotations

import json
import re
import string
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

from acgan_lib.article_run import ARTICLE_LOOP  # noqa: E402
from acgan_lib.files import write_text  # noqa: E402
from acgan_lib.study import STUDIES, load_study, time_to_quality  # noqa: E402

BATCH_SIZE = 256  # the article's
DEFAULT = "acgan_lib XLA (default)"


def _spread(values: list[float]) -> str:
    return f"{min(values):.1f}-{max(values):.1f}" if values else "-"


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

#: The package's copy, which chapter 7 reads (also from an installed wheel).
PACKAGE_COPY = HERE.parent / "acgan_lib" / "results" / "benchmarks.json"


def write_outputs(results: dict, out_dir: Path) -> None:
    """``results.json`` and the ``RESULTS.md`` rendered from it (each written atomically);
    written to the committed ``benchmarks/``, ``results.json`` goes to the package too."""
    out_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results, indent=1) + "\n"
    write_text(out_dir / "results.json", text)
    if out_dir.resolve() == HERE:
        write_text(PACKAGE_COPY, text)
    write_text(out_dir / "RESULTS.md", render_markdown(results))


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
    if results.get("fidelity_targets"):
        out.append(t["fidelity_targets"].substitute(table=results["fidelity_targets"]))
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

def study_time_to_quality() -> dict:
    """The time-to-quality table from the shipped study (``acgan_lib.study``)."""
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
