"""The committed benchmark results are what the benchmark script wrote, and they say what they
measured. (The benchmark itself, ``benchmarks/bench_training.py``, is not part of the test
suite: it times things, and timings belong in benchmarks, not tests.)"""

from __future__ import annotations

import importlib.util
import json
import statistics
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"


@pytest.fixture(scope="module")
def bench():
    """The benchmark's report (``bench_report.py``): what RESULTS.md is rendered with."""
    spec = importlib.util.spec_from_file_location("bench_report", BENCH / "bench_report.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_report"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def results():
    return json.loads((BENCH / "results.json").read_text())


def test_results_md_is_generated_from_results_json(bench, results):
    """RESULTS.md is never edited by hand: rendering results.json gives it back exactly."""
    assert (BENCH / "RESULTS.md").read_text() == bench.render_markdown(results)


def test_the_package_ships_the_same_results(bench):
    """Chapter 7 reads the package's copy (acgan_lib/results/benchmarks.json), which the
    benchmark writes with results.json: the two are the same bytes."""
    from acgan_lib.evidence.benchmarks import BENCHMARKS

    assert bench.PACKAGE_COPY.read_bytes() == (BENCH / "results.json").read_bytes()
    assert BENCHMARKS.read_bytes() == bench.PACKAGE_COPY.read_bytes()


def test_cpu_section_is_a_side_by_side_measurement(results):
    cpu = results["cpu"]
    contenders = {c["name"]: c for c in cpu["contenders"]}
    baseline = [c for c in cpu["contenders"] if c["kind"] == "baseline"]
    assert len(baseline) == 1 and baseline[0]["batch_size"] == cpu["batch_size"]
    measured = [c for c in cpu["contenders"] if not c["skipped"]]
    assert len(measured) >= 3
    for c in measured:
        # every contender ran the same number of interleaved repetitions
        assert len(c["images_per_s"]) == cpu["repetitions"]
        assert c["median_images_per_s"] == pytest.approx(statistics.median(c["images_per_s"]))
        assert c["ratio_to_baseline"] == pytest.approx(
            c["median_images_per_s"] / cpu["baseline_images_per_s"], abs=0.01)
        if c["kind"] == "acgan_lib":
            assert c["discriminator_trains"] and c["generator_trains"], c["name"]
    # the article's pattern on Keras 3: its discriminator never trains (chapter 5)
    assert cpu["baseline_discriminator_trains"] is False
    assert cpu["baseline_generator_trains"] is True
    default = contenders["acgan_lib XLA (default)"]
    assert cpu["default_ratio"] == default["ratio_to_baseline"]
    same_batch = [c for c in measured if c["batch_size"] == cpu["batch_size"]]
    assert cpu["best_same_batch"]["ratio"] == max(c["ratio_to_baseline"] for c in same_batch)
    assert cpu["target_met"] == (cpu["best_same_batch"]["ratio"] >= cpu["target_ratio"])
    for key in ("cpu", "cpu_cores", "tensorflow", "keras"):
        assert cpu["machine"][key]


def test_step_budget_is_derived_from_the_measurements(bench, results):
    """profile.budget (read by RESULTS.md and chapter 7) is step_budget() of the stored rates."""
    if "profile" not in results:  # a --quick run has no profile
        return
    assert results["profile"]["budget"] == bench.step_budget(results["cpu"], results["profile"])


def test_gpu_section_is_measured_or_says_it_is_not(results):
    gpu = results["gpu"]
    if not gpu["measured"]:
        assert "not yet measured" in (BENCH / "RESULTS.md").read_text().lower()
        return
    assert gpu["machine"]["gpus"], "a GPU section must come from a machine with a GPU"
    for row in gpu["configurations"]:
        assert row["discriminator_trains"] and row["generator_trains"], row["name"]
        assert row["median_epoch_s"] > 0


def test_time_to_quality_is_the_shipped_studys(bench, results):
    """The time-to-quality section is computed from the shipped study, and is current: after
    a study run lands, `python benchmarks/bench_training.py --time-to-quality` rewrites it."""
    assert results["time_to_quality"] == bench.study_time_to_quality()


def test_the_fidelity_section_is_the_current_study(results):
    """RESULTS.md's targets table is evidence.fidelity_table() of the shipped study: regenerate
    it with `python benchmarks/bench_training.py --time-to-quality` after new results."""
    from acgan_lib.evidence import fidelity_table

    assert results["fidelity_targets"] == fidelity_table()
    assert "| real digits (reference) |" in (BENCH / "RESULTS.md").read_text()


def test_the_readme_states_what_the_fidelity_targets_found():
    """README's 'Does the recommended ACGAN draw real-like digits?' against the study."""
    from acgan_lib.evidence import CAS_TARGET, reference_scores, run_targets, targets_summary
    from acgan_lib.study import load_study

    readme = (BENCH.parent / "README.md").read_text()
    study = load_study()
    recommended = study["runs"]["acgan-real-aux-concat-b256-e20-s0"]["final"]
    assert f"({recommended['label_accuracy']:.2%})" in readme
    assert f"({reference_scores(study)['classifier_accuracy_real']:.2%})" in readme
    assert targets_summary(study).startswith("Runs that meet all five: none.")
    cas = [run_targets(r["final"], reference_scores(study))[CAS_TARGET].met
           for r in study["runs"].values() if "recall" in r["final"]]
    assert cas and not any(cas)  # "CAS is the hardest (none within one point ...)"
    # "In each of its three runs at the article's budget its recall is ... and its CAS ..."
    from acgan_lib.evidence.acgan_recipes import fidelity_facts

    facts, words = fidelity_facts(study=study), " ".join(readme.split())
    assert (f"In each of its {facts.glued['rec_n']} runs at the article's budget its recall is "
            f"{facts.glued['best_recall_share']} of real digits' and its CAS "
            f"{facts.glued['best_cas_gap']} points below.") in words
