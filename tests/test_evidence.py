"""The chapters' evidence helpers: arms across seeds, contrasts, and the conclusion check."""

import math

import matplotlib

matplotlib.use("Agg")

import pytest

from acgan_lib import evidence
from acgan_lib.study import StudyError, load_study


def _run(model, seed, accuracy, curve):
    return {"run_id": f"{model}-b64-e2-s{seed}", "plan": {"seed": seed},
            "final": {"label_accuracy": accuracy, "confusion_matrix": [[1]]},
            "curve": [{"step": s, "images_seen": 64 * s, "label_accuracy": a}
                      for s, a in curve]}


@pytest.fixture
def study():
    runs = [_run("a", s, acc, [(0, 0.1), (10, acc)]) for s, acc in enumerate((0.9, 0.92, 0.94))]
    runs += [_run("b", s, acc, [(0, 0.1), (10, acc)]) for s, acc in enumerate((0.8, 0.85))]
    return {"runs": {r["run_id"]: r for r in runs},
            "arms": {f"{m}-b64-e2": {"runs": [r["run_id"] for r in runs if r["run_id"][0] == m]}
                     for m in "ab"}}


def test_arm_values_and_contrast_across_seeds(study):
    a = evidence.arm_values("label_accuracy", "a", study=study)
    assert a.values == (0.9, 0.92, 0.94) and a.mean == pytest.approx(0.92)
    assert a.std == pytest.approx(0.02) and a.text(percent=True) == "92.0% ± 2.0 points (3 seeds)"
    c = evidence.contrast("label_accuracy", "a", "b", study=study)
    assert c.difference == pytest.approx(0.095) and c.spread == pytest.approx(0.0353553, 1e-4)
    assert c.a_above and not c.a_below
    assert c.text(percent=True) == "+9.5 points (seed-to-seed spread 3.5)"
    assert evidence.has_arm("a", study=study) and not evidence.has_arm("a", "b256-e20", study)
    single = evidence.ArmValues("a-b256-e20", "label_accuracy", (0.969,))
    assert single.std == 0 and single.text(percent=True) == "96.9% (1 seed)"  # no "± 0.0"


def test_missing_arm_or_metric_names_what_exists(study):
    with pytest.raises(StudyError, match="no finished run of 'c-b64-e2'.*a-b64-e2, b-b64-e2"):
        evidence.arm_values("label_accuracy", "c", study=study)
    with pytest.raises(StudyError, match="unknown metric 'fid'.*label_accuracy"):
        evidence.arm_values("fid", "a", study=study)


def test_a_conclusion_that_no_longer_holds_fails_the_build(capsys):
    evidence.check_conclusion("a beats b", True, "+9.5 points")
    assert "still holds: a beats b (+9.5 points)" in capsys.readouterr().out
    with pytest.raises(evidence.ConclusionChanged, match="rewrite the conclusion"):
        evidence.check_conclusion("a beats b", False, "-1.0 points")


def test_plot_curves_draws_every_seed_and_the_mean(study):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    evidence.plot_curves(["a", "b"], study=study, ax=ax)
    assert len(ax.lines) == 3 + 1 + 2 + 1
    assert [line.get_label() for line in ax.lines if not line.get_label().startswith("_")] == [
        "a (3 seeds)", "b (2 seeds)"]
    plt.close(fig)


def test_plot_arms_gives_each_model_and_budget_its_colour_and_label(study):
    import matplotlib.pyplot as plt

    assert evidence.budget_label("b256-e20") == "20 epochs, batch 256"
    with pytest.raises(ValueError, match="is not a budget like 'b64-e2'"):
        evidence.budget_label("20 epochs")
    fig, ax = plt.subplots()
    evidence.plot_arms([("a", "b64-e2"), ("b", "b64-e2")], study=study, ax=ax)
    means = [line for line in ax.lines if not line.get_label().startswith("_")]
    assert [line.get_label() for line in means] == ["a, 2 epochs, batch 64 (3 seeds)",
                                                    "b, 2 epochs, batch 64 (2 seeds)"]
    assert [line.get_color() for line in means] == ["C0", "C1"]
    plt.close(fig)

def test_the_shipped_study_has_every_shipped_model_at_three_seeds():
    shipped = load_study()
    for model in ("acgan", "acgan-real-aux", "cgan-concat", "cgan-multiply"):
        runs = evidence.arm_runs(model, study=shipped)
        assert [r["plan"]["seed"] for r in runs] == [0, 1, 2]


def test_study_table_gives_mean_and_spread_per_model():
    table = evidence.study_table(["cgan-concat", "acgan"]).splitlines()
    assert table[0].startswith("| model | seeds | label accuracy |")
    assert table[2].startswith("| `cgan-concat` |") and table[3].startswith("| `acgan` | 3 |")
    acc = evidence.arm_values("label_accuracy", "acgan")
    assert f"{acc.mean:.1%} ± {100 * acc.std:.1f}" in table[3]
    budget = evidence.ARTICLE_BUDGET  # each cell is the arm's summary, whatever its seeds
    row = evidence.study_table(["acgan"], budget).splitlines()[2]
    n = len(evidence.arm_runs("acgan", budget))
    assert row.startswith(f"| `acgan` | {n} |")
    assert f"| {evidence.arm_values('label_accuracy', 'acgan', budget).summary()} |" in row


def test_summary_is_a_table_cell_and_one_run_has_no_spread():
    acc = evidence.ArmValues("a-b64-e2", "label_accuracy", (0.9, 0.92, 0.94))
    assert acc.summary() == "92.0% ± 2.0"
    close = evidence.ArmValues("a-b256-e20", "label_accuracy", (0.9942, 0.9944))
    assert close.summary() == "99.4% ± 0.01"  # not "± 0.0": the runs do differ
    fid = evidence.ArmValues("a-b64-e2", "frechet_distance", (2.09, 2.13))
    assert fid.summary() == "2.11 ± 0.028"  # three significant digits, zeros kept
    assert evidence.ArmValues("a", "frechet_distance", (120.2,)).summary() == "120"
    low = evidence.ArmValues("a-b64-e2", "diversity_lowest", (0.934,))
    assert low.summary() == "0.93"  # one run: no "± 0"


def test_span_gives_the_range_the_seeds_cover_in_any_order():
    fid = evidence.ArmValues("a-b256-e20", "frechet_distance", (2.0914, 2.1248, 1.4109))
    assert fid.span() == "1.41 to 2.12"
    assert fid.span(".1f") == "1.4 to 2.1"


def test_in_words_lists_as_a_sentence_does():
    assert evidence.in_words(["a"]) == "a"
    assert evidence.in_words(["a", "b"]) == "a and b"
    assert evidence.in_words([0, 1, 2]) == "0, 1 and 2"


def test_runs_text_says_how_many_runs_each_comparison_rests_on(study):
    assert evidence.runs_per_arm(["a", "b"], study=study) == {"a": 3, "b": 2}
    assert evidence.runs_text(["a", "b"], study=study) == "three runs of a, two of b"
    assert evidence.runs_text(["a"], study=study) == "three runs"
    assert evidence.runs_text(["a", "a"], study=study) == "three runs each"
    study["arms"]["c-b64-e2"] = {"runs": ["b-b64-e2-s0"]}
    assert (evidence.runs_text(["a", "b", "c"], study=study)
            == "three runs of a, two of b, one of c")
    study["arms"]["d-b64-e2"] = {"runs": ["a-b64-e2-s0", "a-b64-e2-s1"]}
    assert (evidence.runs_text(["a", "b", "d"], study=study)
            == "three runs of a, two each of b and d")


def test_check_runs_per_arm_fails_when_a_chapters_premise_of_seeds_breaks(study, capsys):
    assert evidence.check_runs_per_arm(["a", "b"], "b64-e2", 2, study=study) == {"a": 3,
                                                                                 "b": 2}
    assert "still holds: 2 epochs, batch 64: at least two runs of each of a, b" in (
        " ".join(capsys.readouterr().out.split()))
    with pytest.raises(evidence.ConclusionChanged, match="at least three runs"):
        evidence.check_runs_per_arm(["a", "b"], "b64-e2", 3, study=study)
    evidence.check_runs_per_arm(["b"], "b64-e2", 2, exact=True, study=study)
    with pytest.raises(evidence.ConclusionChanged, match="exactly two runs"):
        evidence.check_runs_per_arm(["a", "b"], "b64-e2", 2, exact=True, study=study)


def test_glue_finals_glues_an_arms_three_quoted_metrics(study, monkeypatch):
    from acgan_lib import notebook

    glued = {}
    monkeypatch.setattr(notebook, "glue", lambda name, value, display=False:
                        glued.__setitem__(name, value))
    for run in study["runs"].values():
        run["final"].update(frechet_distance=10.0, diversity_lowest=0.5,
                            diversity_lowest_digit=run["plan"]["seed"] % 2 * 7)
    assert evidence.lowest_digits_text("a", study=study) == "0 or 7"
    assert evidence.lowest_digits_text("b", study=study) == "0 or 7"
    study["arms"]["c-b64-e2"] = {"runs": ["a-b64-e2-s0", "a-b64-e2-s2"]}
    assert evidence.lowest_digits_text("c", study=study) == "0"
    values = evidence.glue_finals("long_a", "a", study=study)
    assert glued == {"long_a_acc": "92.0% ± 2.0", "long_a_fid": "10.0 ± 0",
                     "long_a_low": "0.50 ± 0"}
    assert values["label_accuracy"].values == (0.9, 0.92, 0.94)


def test_exercise_2_3_solution_states_the_studys_hardest_digits():
    """Exercise 2.3's solution quotes the study's three cgan-concat seeds; keep it true."""
    import json
    from pathlib import Path

    import numpy as np

    runs = evidence.arm_runs("cgan-concat")
    per_digit = [np.array(r["final"]["label_accuracy_per_class"]) for r in runs]
    assert [int(p.argmin()) for p in per_digit] == [5, 8, 5]
    assert [f"{p[5]:.1%}" for p in per_digit] == ["85.8%", "89.4%", "73.2%"]
    assert f"{per_digit[1][8]:.1%}" == "80.4%"
    notebook = Path(__file__).resolve().parents[1] / "notebooks" / "02_cgan_concat.ipynb"
    text = json.dumps(json.loads(notebook.read_text()), ensure_ascii=False)
    assert "85.8%, 89.4% and 73.2%" in text and "(80.4%)" in text


def test_exercise_4_3_solution_states_the_studys_landmarks():
    real_aux = evidence.arm_values("label_accuracy", "acgan-real-aux")
    article = evidence.arm_values("label_accuracy", "acgan")
    assert real_aux.text(percent=True).startswith("94.6% ± 2.4 points")
    assert article.text(percent=True).startswith("75.3% ± 10.6 points")
    assert (round(article.low, 2), round(article.high, 2)) == (0.66, 0.87)
    lows = [v for m in ("acgan", "acgan-real-aux")
            for v in evidence.arm_values("diversity_lowest", m).values]
    assert (round(min(lows), 2), round(max(lows), 2)) == (0.09, 0.25)


def test_targets_judge_the_mean_and_count_the_seeds_that_meet_them(study):
    for model, fids in (("a", (3.0, 2.0, 2.5)), ("b", (2.4, 2.6))):
        for run, fid in zip(evidence.arm_runs(model, study=study), fids):
            run["final"].update(frechet_distance=fid, diversity_lowest=0.6)
    t = evidence.targets("a", "b64-e2", cgans=("b",), study=study)
    acc, fid, low = (t[k] for k in (evidence.ACCURACY_TARGET, evidence.FRECHET_TARGET,
                                   evidence.DIVERSITY_TARGET))
    assert not acc.met and acc.runs_met == 0 and acc.shortfall == pytest.approx(0.07)
    assert fid.bar == pytest.approx(2.5) and not fid.met and fid.runs_met == 1  # 2.0 only
    assert fid.shortfall == pytest.approx(0.0)  # mean 2.5 is not below 2.5
    assert low.met and low.runs_met == 3 and low.shortfall == pytest.approx(-0.1)
    reached = evidence.first_reaching("a", "label_accuracy", 0.92, study=study)
    assert [r and r["step"] for r in reached] == [None, 10, 10]
    # A seed that never got there is infinitely slow: it loses every "faster than".
    assert evidence.images_to_reach("a", "label_accuracy", 0.92, study=study) == [
        math.inf, reached[1]["images_seen"], reached[2]["images_seen"]]
    for run in study["runs"].values():
        for row in run["curve"]:
            row["epoch"] = row["step"] / 10
    assert (evidence.reach_text("a", "label_accuracy", 0.92, study=study)
            == "never, 640 and 640 images (seeds 0, 1 and 2)")
    assert evidence.reach_text("a", "label_accuracy", 0.99, study=study) == "never"
    study["arms"]["c-b64-e2"] = {"runs": ["a-b64-e2-s1"]}
    assert evidence.reach_text("c", "label_accuracy", 0.9, study=study) == (
        "640 images (epoch 1)")


def test_paired_keeps_only_the_seeds_both_models_have(study):
    a = evidence.arm_values("label_accuracy", "a", study=study).values  # seeds 0, 1, 2
    b = evidence.arm_values("label_accuracy", "b", study=study).values  # seeds 0, 1
    pairs = evidence.paired("label_accuracy", "a", "b", study=study)
    assert pairs == {0: (a[0], b[0]), 1: (a[1], b[1])}


def _reference(**overrides):
    reference = {"classifier_accuracy_real": 0.99, "n_per_class": 500, "precision": 0.9,
                 "recall": 0.9, "coverage": 0.95, "intra_fd": 2.0, "cas": 0.98,
                 "recall_per_class": [0.9] * 10}
    return {**reference, **overrides}


def _fidelity_final(**overrides):
    final = {"label_accuracy": 0.99, "precision": 0.9, "recall": 0.85, "coverage": 0.9,
             "intra_fd": 3.0, "cas": 0.975, "recall_per_class": [0.8] * 10}
    return {**final, **overrides}


def test_real_band_is_the_held_out_accuracy_within_two_standard_errors():
    low, high = evidence.real_band(_reference())
    se = math.sqrt(0.99 * 0.01 / 5000)
    assert (low, high) == pytest.approx((0.99 - 2 * se, 0.99 + 2 * se))


def test_run_targets_read_a_score_above_real_digits_as_a_miss():
    reference = _reference()
    met = evidence.run_targets(_fidelity_final(), reference)
    assert all(t.met for t in met.values()) and set(met) == set(evidence.FIDELITY_TARGETS)
    easy = evidence.run_targets(_fidelity_final(label_accuracy=0.999), reference)
    band = easy[evidence.REAL_BAND_TARGET]
    assert not band.met and band.shortfall == pytest.approx(0.999 - band.high)
    # one collapsed digit: recall 0.3 against real 0.9 is below half of real's
    collapsed = _fidelity_final(recall_per_class=[0.3] + [0.8] * 9)
    digit = evidence.run_targets(collapsed, reference)[evidence.DIGIT_RECALL_TARGET]
    assert not digit.met and digit.value == pytest.approx(0.3 / 0.45)
    low_cas = evidence.run_targets(_fidelity_final(cas=0.96), reference)
    assert not low_cas[evidence.CAS_TARGET].met
    with pytest.raises(StudyError, match="no fidelity scores.*--retrain"):
        evidence.run_targets({"label_accuracy": 0.99}, reference)


def test_fidelity_table_has_the_reference_row_and_names_the_missed_targets(study):
    study["reference"] = _reference()
    study["runs"]["a-b64-e2-s0"].update(plan={"seed": 0, "epochs": 2, "model": "a"})
    study["runs"]["a-b64-e2-s0"]["final"].update(_fidelity_final(label_accuracy=0.999))
    table = evidence.fidelity_table(study)
    assert "| real digits (reference) | 99.00% (band" in table
    assert "| a-b64-e2-s0 | 99.90% |" in table and "4 of 5 (misses 1) |" in table
    assert "1: label accuracy within the real digits' band, not above it" in table
    with pytest.raises(StudyError, match="no reference scores"):
        evidence.fidelity_table({"runs": {}, "reference": None})


def test_fidelity_arms_table_gives_each_arms_spread_under_the_real_row(study):
    from acgan_lib.evidence import real as real_ref

    study["reference"] = _reference()
    for run_id, run in study["runs"].items():
        seed = run["plan"]["seed"]
        run["final"].update(_fidelity_final(label_accuracy=run["final"]["label_accuracy"],
                                            recall=0.5 + 0.1 * seed, cas=0.9))
    table = real_ref.fidelity_arms_markdown(["a", "b"], study=study).splitlines()
    assert table[2].startswith("| real digits (reference) | - | 99.00% (band")
    assert table[3] == "| `a` | 3 | 92.0% ± 2.0 | 0.600 ± 0.1 | 0.900 ± 0 | 90.0% ± 0.0 |"
    assert table[4].startswith("| `b` | 2 | 82.5% ± 3.5 | 0.550 ± 0.071 |")
