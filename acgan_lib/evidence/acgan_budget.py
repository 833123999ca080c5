"""Chapter 4's second part (the article's budget, and the recipes): the numbers it glues and
the checks that its conclusions still hold, one ``*_facts`` and one ``check_*`` per section
(see :mod:`acgan_lib.evidence.acgan_loss` for :class:`Facts`), and the real digits' reference
beside the recommended model's label accuracy, recall, coverage and CAS."""

from __future__ import annotations

import numpy as np

from acgan_lib.evidence.acgan_loss import CGANS, METRICS, Facts, draw_real_accuracy  # noqa: F401
from acgan_lib.evidence.arms import (ARTICLE_BUDGET, SHIPPED_BUDGET, arm_runs, arm_values,
                                     check_conclusion, check_runs_per_arm, contrast,
                                     images_to_reach, in_words, lowest_digits_text, reach_text,
                                     runs_text)
from acgan_lib.evidence.course_targets import FRECHET_TARGET, reference_scores, targets
from acgan_lib.evidence.plots import study_table

LONG = ARTICLE_BUDGET
RECIPE, RECIPE2 = "acgan-concat", "acgan-real-aux-concat"
RECIPES = ["acgan-real-aux", "acgan-real-aux-concat", "acgan-real-aux-smooth",
           "acgan-real-aux-light"]


def _finals(prefix: str, model: str, glued: dict, budget: str = LONG, study=None) -> dict:
    """``model``'s three final metrics by name; glued as ``{prefix}_acc``, ``_fid``, ``_low``."""
    values = {m: arm_values(m, model, budget, study) for m in METRICS}
    for suffix, m in zip(("acc", "fid", "low"), METRICS):
        glued[f"{prefix}_{suffix}"] = values[m].summary()
    return values


def _collapse(run: dict) -> dict:
    """A run's early collapse: the curve rows (from epoch 1 on) before its least varied digit
    first reaches 0.5, and those after."""
    rows = [r for r in run["curve"] if r["epoch"] >= 1]
    i = next(i for i, r in enumerate(rows) if r["diversity_lowest"] >= 0.5)
    return {"before": rows[:i], "after": rows[i:]}


def _at_epoch(run: dict, epoch: float) -> dict:
    return next(r for r in run["curve"] if r["epoch"] == epoch)


def real_reference_row(study: dict | None = None) -> str:
    """A study table's last row: real held-out digits scored like a generator (500 per digit,
    the final evaluation's size)."""
    ref = reference_scores(study)
    return (f"| real digits (reference, {ref['n_per_class']} per digit) | – | "
            f"{ref['classifier_accuracy_real']:.1%} | {ref['frechet_distance']:.2f} | "
            f"{ref['diversity']:.2f} | {ref['diversity_lowest']:.2f} |")


def table_with_reference(models: list[str], budget: str = LONG, study=None) -> str:
    """:func:`acgan_lib.evidence.study_table` with the real digits' row below it."""
    return study_table(models, budget, study) + "\n" + real_reference_row(study)


def article_budget_facts(study: dict | None = None) -> Facts:
    """The article's ACGAN and both CGANs at the article's budget (20 epochs at batch 256)."""
    g: dict[str, str] = {}
    g["long_runs"] = runs_text(["acgan", *CGANS], LONG, study)
    long = _finals("long", "acgan", g, study=study)
    long_cgan = {m: _finals(f"long_{m.removeprefix('cgan-')}", m, g, study=study)
                 for m in CGANS}
    long_fid = long["frechet_distance"]
    cgan_fid = {m: f["frechet_distance"].mean for m, f in long_cgan.items()}
    short = {k: arm_values(k, "acgan", study=study) for k in METRICS}
    g["short_acc"] = short["label_accuracy"].summary()
    g["short_fid"] = short["frechet_distance"].summary()
    runs = arm_runs("acgan", LONG, study)
    g["long_images"] = f"{runs[0]['images_seen']:,}"
    g["long_low_digit"] = lowest_digits_text("acgan", LONG, study)
    over = {m: {k: contrast(k, "acgan", m, LONG, study) for k in METRICS} for m in CGANS}
    acc_lead = over["cgan-multiply"]["label_accuracy"].difference
    g["acc_over_multiply"] = f"{100 * acc_lead:.1f}"
    short_images = arm_runs("acgan", study=study)[0]["images_seen"]
    at_short = [min(r["curve"], key=lambda row: abs(row["images_seen"] - short_images))
                for r in runs]
    g["long_at_short"] = in_words([f"{r['label_accuracy']:.0%}" for r in at_short])
    g["long_90"] = reach_text("acgan", "label_accuracy", 0.9, LONG, study)
    g["multiply_90"] = reach_text("cgan-multiply", "label_accuracy", 0.9, LONG, study)
    late_fid = [[r["frechet_distance"] for r in run["curve"] if r["epoch"] >= 5]
                for run in arm_runs("cgan-multiply", LONG, study)]
    multiply_fid = long_cgan["cgan-multiply"]["frechet_distance"]
    fid_targets = targets("acgan", LONG, study=study)
    missed = [t for t, v in fid_targets.items() if not v.met]
    fid_target = fid_targets[FRECHET_TARGET]
    g["acgan_miss"] = f"{fid_target.shortfall:.2f}"
    g["fid_bar"] = f"{fid_target.bar:.2f}"  # the CGANs' best mean: the same for every model
    collapses = [_collapse(r) for r in runs]
    digits = [{r["diversity_lowest_digit"] for r in c["before"]} for c in collapses]
    # one epoch per seed, in seed order (not a set: two seeds may end at the same epoch)
    g["collapse_epochs"] = in_words([f"{c['before'][-1]['epoch']:g}" for c in collapses])
    g["collapse_seeds"] = in_words([str(r["plan"]["seed"]) for r in runs])
    late = [r["diversity_lowest"] for c in collapses for r in c["after"]]
    g["long_low_span"] = long["diversity_lowest"].span()
    short_fid = short["frechet_distance"]
    seed_factor = short_fid.high / short_fid.low
    g["short_fid_factor"] = f"{seed_factor:.1f}"
    catch_up = images_to_reach("acgan", "label_accuracy", short["label_accuracy"].mean,
                               LONG, study)
    catch_up_ratio = [n / short_images for n in catch_up]
    g["catch_up_ratio"] = in_words([f"{x:.1f}" for x in catch_up_ratio])
    long_seed_factor = long_fid.high / long_fid.low
    g["long_seed_factor"] = f"{long_seed_factor:.1f}"
    concat_fid = long_cgan["cgan-concat"]["frechet_distance"]
    g["concat_seed_factor"] = f"{concat_fid.high / concat_fid.low:.1f}"
    g["concat_fid_std"] = f"{concat_fid.std:.2f}"
    first_two = concat_fid.values[:2]  # what two seeds said about cgan-concat
    g["concat_first_pct"] = f"{max(first_two) / min(first_two) - 1:.0%}"
    concat_2 = [_at_epoch(c, 2) for c in arm_runs("cgan-concat", LONG, study)]
    acgan_2 = [_at_epoch(run, 2) for run in runs]
    return Facts(**{k: v for k, v in locals().items() if k not in ("g", "study")}, glued=g)


def check_article_budget(f: Facts, study: dict | None = None) -> None:
    """The checks behind the conclusion on the article's budget."""
    check = check_conclusion
    check_runs_per_arm(["acgan", *CGANS], LONG, 3, study=study)
    check("in every run the article's ACGAN meets the 99% and diversity targets "
          "and misses the Frechet one", f.missed == [FRECHET_TARGET]
          and [t.runs_met for t in f.fid_targets.values()] == [len(f.runs), 0, len(f.runs)],
          f"missed: {f.missed}")
    concat, long_fid = f.over["cgan-concat"], f.long_fid
    check("cgan-concat: each run under half the Frechet distance of any ACGAN "
          "run, a more varied least varied digit, label accuracy lower by under a point",
          2 * f.concat_fid.high < long_fid.low and concat["diversity_lowest"].difference < 0
          and 0 < concat["label_accuracy"].difference < 0.01,
          concat["frechet_distance"].text())
    acc = f.long["label_accuracy"]
    check("the ACGAN draws the requested digit more often than both CGANs in every "
          "run; 1 to 3 points more than cgan-multiply; the runs agree within 0.1",
          all(acc.low > c["label_accuracy"].high for c in f.long_cgan.values())
          and 0.01 < f.acc_lead < 0.03 and acc.high - acc.low < 0.001, f"{f.acc_lead:.3f}")
    mult = f.cgan_fid["cgan-multiply"]
    check("every cgan-multiply run's Frechet distance lies between the ACGAN's best "
          "and worst run (a tie), and the ACGAN's seed factor exceeds their difference",
          long_fid.low < f.multiply_fid.low and f.multiply_fid.high < long_fid.high
          and f.long_seed_factor > max(long_fid.mean, mult) / min(long_fid.mean, mult),
          f"{f.cgan_fid}")
    check("both multiplying generators end with over twice cgan-concat's "
          "Frechet distance", min(long_fid.mean, mult) > 2 * f.cgan_fid["cgan-concat"],
          f"{f.cgan_fid}")
    reach_90 = {m: images_to_reach(m, "label_accuracy", 0.9, LONG, study)
                for m in ("acgan", *CGANS)}
    check("every cgan-multiply run reaches 90% before every other run; each run's "
          "Frechet distance ends within a fifth of its epoch-5 value",
          max(reach_90["cgan-multiply"]) < min(reach_90["acgan"] + reach_90["cgan-concat"])
          and all(abs(run[-1] / run[0] - 1) < 0.2 for run in f.late_fid),
          f"{reach_90}; FID at epoch 5 and 20: {[(r[0], r[-1]) for r in f.late_fid]}")
    gap = long_fid.mean / f.cgan_fid["cgan-concat"]
    first = max(f.first_two) / min(f.first_two)
    concat_factor = f.concat_fid.high / f.concat_fid.low
    check("at this budget the seed moved the ACGAN's FID by less than at 2 epochs, "
          "and by less than its gap to cgan-concat; cgan-concat's first two seeds "
          "within 10%, its later ones outside that",
          f.long_seed_factor < f.seed_factor and f.long_seed_factor < gap
          and first < 1.1 < concat_factor,
          f"{f.long_seed_factor:.2f}, {f.seed_factor:.2f}, gap {gap:.2f}, "
          f"cgan-concat {first:.3f} then {concat_factor:.3f}")
    _check_article_budget_curves(f)


def _check_article_budget_curves(f: Facts) -> None:
    check = check_conclusion
    slowest = min(r["label_accuracy"] for r in f.concat_2)
    check("the CGAN is faster at batch 256: by the end of their second epoch every "
          "cgan-concat run is past 60%, every ACGAN run under 40%",
          slowest >= 0.6 and all(r["label_accuracy"] < 0.4 for r in f.acgan_2),
          f"{slowest:.3f} vs {[r['label_accuracy'] for r in f.acgan_2]}")
    check("it is far better than after 2 epochs (every long run beyond every "
          "short seed)", f.long["label_accuracy"].low > f.short["label_accuracy"].high
          and f.long_fid.high < f.short["frechet_distance"].low, f.long_fid.text())
    check("after as many images as the short runs every run is behind all of them, "
          "while its own classifier agrees with at least 95% of its digits",
          all(r["label_accuracy"] < f.short["label_accuracy"].low
              and r["aux_label_accuracy_fake"] >= 0.95 for r in f.at_short),
          f"{[(r['label_accuracy'], r['aux_label_accuracy_fake']) for r in f.at_short]}")
    ends_low = f.long["diversity_lowest"]
    check("in every run one digit stays collapsed (< 0.5, one digit) for 8 to 14 "
          "epochs; after it recovers, a run may slip under 0.5 on the curve, but "
          "every run ends at 0.5 or more, the lowest under 0.6 (a small margin)",
          all(len(d) == 1 and 8 <= c["before"][-1]["epoch"] <= 14
              for d, c in zip(f.digits, f.collapses))
          and 0.5 <= ends_low.low < 0.6
          and all(c["after"][-1]["diversity_lowest"] >= 0.5 for c in f.collapses),
          f"{min(f.late):.2f} to {max(f.late):.2f}; ends {ends_low.span()}")
    check("batch 256 needs about two to three times the short runs' images to "
          "reach their mean label accuracy (chapter 7, exercise 7.3)",
          all(1.9 <= x <= 3 for x in f.catch_up_ratio), f"{f.catch_up_ratio}")


def recipes_facts(study: dict | None = None) -> Facts:
    """The three one-change recipes against ``acgan-real-aux`` at the shipped budget."""
    g: dict[str, str] = {}
    base = {k: arm_values(k, RECIPES[0], study=study) for k in METRICS}
    rec = {m: {k: arm_values(k, m, study=study) for k in METRICS} for m in RECIPES[1:]}
    for m in RECIPES[1:]:
        g[f"{m.rsplit('-', 1)[-1]}_low"] = rec[m]["diversity_lowest"].summary()
    g["base_low"] = base["diversity_lowest"].summary()
    g["variant_runs"] = runs_text(RECIPES[2:], study=study)
    g["short_recipe_runs"] = runs_text(RECIPES[1:], study=study)
    return Facts(base=base, rec=rec, glued=g)


def check_recipes(f: Facts, study: dict | None = None) -> None:
    """The checks behind the conclusion on the short-budget recipes."""
    base, rec = f.base, f.rec
    concat = rec["acgan-real-aux-concat"]
    lifted = contrast("diversity_lowest", "acgan-real-aux-concat", "acgan-real-aux",
                      study=study)
    check_conclusion("concatenation lifts the least varied digit above 0.5 in every run, "
                     "above every acgan-real-aux seed", lifted.a_above
                     and concat["diversity_lowest"].low >= 0.5, lifted.text())
    three = [m for m in ("acgan", "acgan-real-aux", *CGANS, "acgan-real-aux-concat")
             if len(arm_values("label_accuracy", m, study=study).values) == 3]
    best = max(three, key=lambda m: arm_values("label_accuracy", m, study=study).mean)
    check_conclusion(
        "with three seeds, concatenation has the highest mean label accuracy at "
        "the shipped budget, and misses the 99% and FID targets",
        best == "acgan-real-aux-concat" and concat["label_accuracy"].mean < 0.99
        and concat["frechet_distance"].mean > min(
            arm_values("frechet_distance", m, study=study).mean for m in CGANS),
        f"{best}, {three}")
    check_runs_per_arm(RECIPES[2:], SHIPPED_BUDGET, 3, study=study)

    def inside(model: str, key: str) -> bool:
        return base[key].low <= rec[model][key].mean <= base[key].high

    check_conclusion(
        "smoothing and the lighter class loss leave a digit collapsed (< 0.3) "
        "in every run, mean accuracy and FID inside acgan-real-aux's range",
        all(rec[m]["diversity_lowest"].high < 0.3 and inside(m, "label_accuracy")
            and inside(m, "frechet_distance") for m in RECIPES[2:]),
        "; ".join(f"{m}: {rec[m]['diversity_lowest'].span()}" for m in RECIPES[2:]))


def check_gains(gain: dict, evaluation: dict) -> None:
    """The label gains of the shipped multiplying generators (``gain``: name -> gains per
    digit) against each one's evaluation: a mechanism seen in these models, not a cause."""
    names = list(gain)
    lowest = {n: (int(np.argmin(gain[n])), evaluation[n]["diversity_lowest_digit"])
              for n in names}
    check_conclusion("in every shipped multiplying generator the least varied digit has "
                     "the smallest label gain", all(a == b for a, b in lowest.values()),
                     f"{lowest}")
    collapsed = {n: evaluation[n]["diversity_lowest"] < 0.3 for n in names}
    check_conclusion(
        "a near-zero gain (< 0.03) collapses its digit (< 0.3): the two short "
        "ACGANs; the others' smallest gains leave their digit varied (> 0.5)",
        all(collapsed[n] == (min(gain[n]) < 0.03) for n in names)
        and [n for n in names if collapsed[n]] == ["acgan-2-epochs", "acgan-real-aux"]
        and all(evaluation[n]["diversity_lowest"] > 0.5 for n in names if not collapsed[n]),
        ", ".join(f"{n}: {min(gain[n]):.2f}" for n in names))
