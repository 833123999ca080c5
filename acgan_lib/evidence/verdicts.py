"""Chapter 8's evidence for each of the article's claims: the numbers its sentences quote
(glued), and the checks that those sentences still describe them.

Each ``judge_*`` function glues what chapter 8's prose on one claim quotes and runs the
:func:`acgan_lib.evidence.check_conclusion` checks of its verdict, one of
:data:`acgan_lib.claims.VERDICTS`; it returns the values the chapter's figures use.
"""

from __future__ import annotations

from dataclasses import dataclass

from acgan_lib import claims
from acgan_lib.evidence.arms import (ARTICLE_BUDGET, SHIPPED_BUDGET, arm_runs, arm_values,
                                     budget_label, check_conclusion, check_runs_per_arm,
                                     contrast, glue_finals, has_arm, paired, runs_text)
from acgan_lib.evidence.course_targets import real_band, reference_scores
from acgan_lib.evidence.shipped import DEPENDENCE_PAIRS, shipped_dependence
from acgan_lib.notebook import glue

CGANS = ("cgan-concat", "cgan-multiply")
#: The four models of the shipped budget, in the order of chapter 6's table.
SHORT_MODELS = ("cgan-concat", "cgan-multiply", "acgan", "acgan-real-aux")
RECOMMENDED = "acgan-real-aux-concat"


def _pct(x: float) -> str:
    return f"{x:.2%}"


def judge_parameters() -> dict:
    """Claim 1: the counts, where the gap to a convolutional CGAN lies, the checks."""
    counts = claims.parameter_counts()
    total = {name: c["total"] for name, c in counts.items()}
    acgan, dcgan = total["article ACGAN"], total["DCGAN with the article's layers"]
    conv, mlp = total["the course's convolutional CGAN"], total["Mirza & Osindero's MLP CGAN"]
    gap = claims.label_input_gap()
    for key, value in (("acgan_params", acgan), ("dcgan_params", dcgan),
                       ("conv_cgan_params", conv)):
        glue(key, f"{value / 1e6:.2f}M")
    glue("mlp_cgan_params", f"{mlp / 1e6:.1f}M")
    glue("mlp_ratio", f"{mlp / acgan:.1f}")
    glue("conv_saving", f"{1 - acgan / conv:.0%}")
    glue("label_parts", f"{acgan - dcgan:,}")
    glue("gap_total", f"{gap['total']:,}")
    glue("gap_input", f"{gap['generator_input']:,}")
    glue("gap_share", f"{gap['generator_input'] / gap['total']:.0%}")
    check_conclusion("1: the article's ACGAN has about 0.4M weights; the DCGAN with its layers "
                     "differs only by the label parts (by construction)",
                     abs(acgan - 0.4e6) < 0.05e6 and acgan - dcgan == 10 * 100 + 10 * 129,
                     f"{acgan:,}, {dcgan:,}")
    check_conclusion("1: an MLP CGAN has several times more; a convolutional CGAN under 10% "
                     "more, mostly the generator's one-hot input layer",
                     mlp > 4 * acgan and 0 < 1 - acgan / conv < 0.1
                     and gap["generator_input"] > 0.5 * gap["total"]
                     and gap["generator_rest"] == 0, f"{mlp:,}, {conv:,}, {gap}")
    return counts


def _pair_text(metric: str, a: str, b: str, budget: str, percent: bool = False) -> str:
    fmt = _pct if percent else (lambda x: f"{x:.2f}")
    av, bv = arm_values(metric, a, budget), arm_values(metric, b, budget)
    return (f"{fmt(av.low)} to {fmt(av.high)} against {fmt(bv.low)} to {fmt(bv.high)}")


def _concat_wins_every_pair(multiplying: str, concatenating: str, budget: str) -> bool:
    acc = paired("label_accuracy", concatenating, multiplying, budget)
    fid = paired("frechet_distance", concatenating, multiplying, budget)
    return len(acc) >= 3 and all(c > m for c, m in acc.values()) \
        and all(c < m for c, m in fid.values())


def judge_conditioning() -> dict:
    """Claims 2 and 3: multiplying against concatenating, for the CGANs and for the ACGAN's
    single-change pairs at both budgets; the shipped CGANs' label dependence."""
    multiply = contrast("label_accuracy", "cgan-multiply", "cgan-concat")
    glue("multiply_diff", multiply.text(percent=True))
    long = {m: glue_finals(f"long_{m.removeprefix('cgan-')}", m, ARTICLE_BUDGET) for m in CGANS}
    glue("cgan_long_runs", runs_text(list(CGANS), ARTICLE_BUDGET))
    pairs = {"long": ("acgan", "acgan-concat", ARTICLE_BUDGET),
             "short": ("acgan-real-aux", RECOMMENDED, SHIPPED_BUDGET)}
    for key, (a, b, budget) in pairs.items():
        glue(f"pair_{key}_acc", _pair_text("label_accuracy", a, b, budget, True))
        glue(f"pair_{key}_fid", _pair_text("frechet_distance", a, b, budget))
        glue(f"pair_{key}_runs", runs_text([a, b], budget))
    glue("pair_short_low", _pair_text("diversity_lowest", *pairs["short"]))
    ratio = {kind: shipped_dependence(f"cgan-{kind}") for kind in ("concat", "multiply")}
    glue("concat_ratio", f"{ratio['concat']:.2f}")
    glue("ratio_share", f"{ratio['concat'] / ratio['multiply']:.0%}")
    glue("dependence_pairs", f"{DEPENDENCE_PAIRS:,}")
    check_conclusion("2: for the CGANs at 2 epochs, multiply beats concat in every seed",
                     multiply.a_above, multiply.text(True))
    recall = contrast("recall", "cgan-concat", "cgan-multiply")
    glue("multiply_recall", f"{recall.b.summary()} against {recall.a.summary()}")
    check_conclusion("2: ... but its recall is below concat's in every seed",
                     recall.a_above, recall.text())
    check_runs_per_arm(["acgan", "acgan-concat", *CGANS], ARTICLE_BUDGET, 3)
    mean = {m: {k: v.mean for k, v in f.items()} for m, f in long.items()}
    check_conclusion("2: at 20 epochs concat beats multiply for the CGANs (label accuracy, "
                     "under half the Frechet distance; means)",
                     mean["cgan-concat"]["label_accuracy"]
                     > mean["cgan-multiply"]["label_accuracy"]
                     and 2 * mean["cgan-concat"]["frechet_distance"]
                     < mean["cgan-multiply"]["frechet_distance"], f"{mean}")
    for key, (a, b, budget) in pairs.items():
        check_conclusion(f"2: {b} beats {a} in every pair of seeds, on label accuracy and "
                         f"Frechet distance ({budget_label(budget)})",
                         _concat_wins_every_pair(a, b, budget),
                         _pair_text("frechet_distance", a, b, budget))
    return ratio


def judge_improvement() -> dict:
    """Claim 4: the article's ACGAN against the CGANs at both budgets, with the real-digit
    reference and the fidelity scores of the runs that have them."""
    fid = {m: arm_values("frechet_distance", m) for m in SHORT_MODELS}
    acc = {m: arm_values("label_accuracy", m) for m in SHORT_MODELS}
    worst_fid = max(fid[m].high for m in CGANS)
    worst_acc = min(acc[m].low for m in CGANS)
    glue("acgan_fid_best", f"{fid['acgan'].low:.1f}")
    glue("cgan_fid_worst", f"{worst_fid:.1f}")
    glue("acgan_acc_best", f"{acc['acgan'].high:.1%}")
    glue("cgan_acc_worst", f"{worst_acc:.1%}")
    long = glue_finals("long", "acgan", ARTICLE_BUDGET)
    glue("long_runs", runs_text(["acgan", *CGANS], ARTICLE_BUDGET))
    reference = reference_scores()
    low, high = real_band(reference)
    glue("real_band", f"{low:.2%} to {high:.2%}")
    glue("real_acc", _pct(reference["classifier_accuracy_real"]))
    runs = {m: _fidelity_run(m, ARTICLE_BUDGET) for m in ("acgan", "cgan-concat")}
    for key in ("recall", "coverage", "cas"):
        glue(f"fid_{key}", f"{runs['acgan'][key]:.2f} against "
             f"{runs['cgan-concat'][key]:.2f} (real digits {reference[key]:.2f})")
    check_conclusion("4: at 2 epochs the ACGAN's best seed is worse than every CGAN seed",
                     fid["acgan"].low > worst_fid and acc["acgan"].high < worst_acc,
                     f"{fid['acgan'].low:.1f} vs {worst_fid:.1f}")
    long_acc, long_fid = long["label_accuracy"], long["frechet_distance"]
    concat_fid = arm_values("frechet_distance", "cgan-concat", ARTICLE_BUDGET)
    cgan_acc = max(arm_values("label_accuracy", m, ARTICLE_BUDGET).high for m in CGANS)
    check_conclusion("4: at 20 epochs every ACGAN run is above every CGAN run on label "
                     "accuracy but not above the real digits' band; every cgan-concat run has "
                     "under half the Frechet distance of any ACGAN run",
                     long_acc.low > cgan_acc and long_acc.high <= high
                     and 2 * concat_fid.high < long_fid.low,
                     f"{long_acc.text(True)}; {concat_fid.text()} vs {long_fid.text()}")
    check_conclusion("4: at 20 epochs the ACGAN's run has lower recall, coverage and CAS "
                     "than cgan-concat's (one run each)",
                     all(runs["acgan"][k] < runs["cgan-concat"][k]
                         for k in ("recall", "coverage", "cas")),
                     "; ".join(f"{m}: recall {r['recall']:.3f}, coverage {r['coverage']:.3f}, "
                               f"CAS {r['cas']:.3f}" for m, r in runs.items()))
    return {"fid": fid, "acc": acc}


def _fidelity_run(model: str, budget: str) -> dict:
    """The final evaluation of ``model``'s one run at ``budget`` that has fidelity scores."""
    finals = [r["final"] for r in arm_runs(model, budget) if "recall" in r["final"]]
    if len(finals) != 1:
        raise AssertionError(f"{model} at {budget}: {len(finals)} runs with fidelity scores; "
                             "chapter 8 says one")
    return finals[0]


@dataclass(frozen=True)
class Change:
    """One setting the study changed, and the two arms that differ only in it."""

    what: str
    before: str
    after: str
    budget: str
    before_budget: str | None = None


#: The single changes to an ACGAN that the study trained, each with three seeds an arm.
CHANGES = (
    Change("w = 0 (no class loss on generated images)", "acgan", "acgan-real-aux",
           SHIPPED_BUDGET),
    Change("concatenating generator", "acgan-real-aux", RECOMMENDED, SHIPPED_BUDGET),
    Change("label smoothing", "acgan-real-aux", "acgan-real-aux-smooth", SHIPPED_BUDGET),
    Change("lighter class loss", "acgan-real-aux", "acgan-real-aux-light", SHIPPED_BUDGET),
    Change("concatenating generator", "acgan", "acgan-concat", ARTICLE_BUDGET),
    Change("w = 0 (no class loss on generated images)", "acgan-concat", RECOMMENDED,
           ARTICLE_BUDGET),
    Change("batch 256, 20 epochs", "acgan", "acgan", ARTICLE_BUDGET, SHIPPED_BUDGET),
)
SENSITIVITY_METRICS = ("label_accuracy", "frechet_distance", "diversity_lowest")
METRIC_NAMES = {"label_accuracy": "label accuracy", "frechet_distance": "distance",
                "diversity_lowest": "least varied digit"}


def moved(change: Change) -> list[str]:
    """The metrics on which every seed of one arm of ``change`` lies beyond every seed of the
    other: a change larger than the spread between seeds."""
    out = []
    for metric in SENSITIVITY_METRICS:
        a = arm_values(metric, change.before, change.before_budget or change.budget)
        b = arm_values(metric, change.after, change.budget)
        if a.low > b.high or a.high < b.low:
            out.append(metric)
    return out


def sensitivity_table() -> str:
    """A Markdown table: each change, its arms' means, and the metrics it moved beyond the
    seeds."""
    lines = ["| change | budget | label accuracy | Fréchet distance | least varied digit | "
             "beyond the seeds |", "|---|---|---:|---:|---:|---|"]
    for c in CHANGES:
        cells = []
        for metric in SENSITIVITY_METRICS:
            a = arm_values(metric, c.before, c.before_budget or c.budget).summary()
            b = arm_values(metric, c.after, c.budget).summary()
            cells.append(f"{a} → {b}")
        names = [METRIC_NAMES[m] for m in moved(c)]
        budget = budget_label(c.budget) if not c.before_budget else "2 → 20 epochs"
        lines.append(f"| {c.what} | {budget} | " + " | ".join(cells)
                     + f" | {', '.join(names) or 'none'} |")
    return "\n".join(lines)


def judge_sensitivity() -> dict:
    """Claim 5: which single changes moved the ACGAN beyond the seeds, and its seed spread at
    both budgets."""
    effects = {c: moved(c) for c in CHANGES}
    glue("changes_n", str(len(CHANGES)))
    glue("changes_moved", str(sum(bool(m) for m in effects.values())))
    arms = {b: [m for m in ("acgan", "acgan-concat", RECOMMENDED, *SHORT_MODELS,
                            "acgan-real-aux-smooth", "acgan-real-aux-light")
                if has_arm(m, b)] for b in (SHIPPED_BUDGET, ARTICLE_BUDGET)}
    sd = {(b, k): {m: arm_values(k, m, b).std for m in arms[b]}
          for b in arms for k in ("label_accuracy", "frechet_distance")}
    short_acc = sd[SHIPPED_BUDGET, "label_accuracy"]
    long_acc, long_fid = sd[ARTICLE_BUDGET, "label_accuracy"], sd[ARTICLE_BUDGET,
                                                                    "frechet_distance"]
    glue("acgan_spread", f"{100 * short_acc['acgan']:.1f}")
    cgan_spread = max(short_acc[m] for m in CGANS)
    glue("spread_ratio", f"{short_acc['acgan'] / cgan_spread:.0f}")
    glue("long_acc_spread", f"{100 * long_acc['acgan']:.2f}")
    glue("long_fid_spread", f"{long_fid['acgan']:.1f}")
    glue("long_fid_spread_next", f"{max(v for m, v in long_fid.items() if m != 'acgan'):.1f}")
    unmoved = [c.what for c, m in effects.items() if not m]
    check_conclusion("5: label smoothing and the lighter class loss move no metric beyond the "
                     "seeds; every other change moves at least one",
                     sorted(unmoved) == ["label smoothing", "lighter class loss"],
                     f"{ {c.what + ' ' + c.budget: m for c, m in effects.items()} }")
    check_conclusion("5: at 2 epochs the article's ACGAN's label-accuracy spread is several "
                     "times the CGANs' and the largest of any arm",
                     short_acc["acgan"] > 3 * cgan_spread
                     and short_acc["acgan"] == max(short_acc.values()), f"{short_acc}")
    check_conclusion("5: at 20 epochs its label-accuracy spread is the smallest of any arm "
                     "(ties allowed), its distance spread the largest",
                     long_acc["acgan"] <= min(long_acc.values()) + 1e-9
                     and long_fid["acgan"] == max(long_fid.values()),
                     f"{long_acc}, {long_fid}")
    return effects
