"""Chapter 5's glue and conclusion checks: the numbers its prose quotes from the freezing
experiment (:mod:`acgan_lib.freezing`), and a :func:`~acgan_lib.evidence.check_conclusion`
behind every claim, so that a Keras release that changes the behaviour fails the build."""

from __future__ import annotations

from acgan_lib.evidence.arms import check_conclusion
from acgan_lib.notebook import glue

#: The discriminator's own train_on_batch calls in one article step.
D_CALLS = ("discriminator_real", "discriminator_fake")


def moved(result: dict, variant: str, calls, group: str) -> float:
    """Total distance a weight group moved over the given ``train_on_batch`` calls."""
    summary = result["article"][variant]["summary"]
    return sum(summary[call][f"{group}_moved"] for call in calls)


def glue_keras3(k3: dict) -> None:
    """The Keras 3 section's numbers: trainable counts, distances, fingerprints, warning."""
    run = k3["article"]["shared_optimizer"]
    d_moved = moved(k3, "shared_optimizer", D_CALLS, "d_parameters")
    glue("k3_keras", k3["versions"]["keras"])
    glue("n_steps", k3["steps"])
    glue("batch_size", k3["batch_size"])
    glue("k3_d_at_compile", run["trainable_counts"]["discriminator_at_compile"])
    glue("k3_d_after_freeze", run["trainable_counts"]["discriminator"])
    glue("k3_d_calls", sum(run["summary"][c]["calls"] for c in D_CALLS))
    glue("k3_d_moved", d_moved)
    glue("k3_d_stats_moved", moved(k3, "shared_optimizer", D_CALLS, "d_statistics"))
    glue("k3_d_sha", f'{run["calls"][0]["d_parameters_sha_before"][:8]} before the first '
                     f'call and {run["calls"][-1]["d_parameters_sha_after"][:8]} after the last')
    glue("k3_g_moved", moved(k3, "shared_optimizer", ["combined"], "g_parameters"))
    glue("k3_comb_d_moved", moved(k3, "shared_optimizer", ["combined"], "d_parameters"))
    warned = [w["message"] for w in run["warnings"]]
    glue("k3_warning", warned[0] if warned else "(no warning)")
    glue("k3_sep_d_moved", moved(k3, "separate_optimizers", D_CALLS, "d_parameters"))
    errors = {e["type"]: e["message"] for e in run["exceptions"]}
    glue("k3_reset_error", errors.get("AttributeError", "(none)"))


def glue_keras2(k2: dict) -> None:
    """The Keras 2 section's numbers: what trained with each optimizer, and the errors."""
    run = k2["article"]["shared_optimizer"]
    errors = {e["type"]: e["message"] for e in run["exceptions"]}
    sep = "separate_optimizers"
    glue("k2_keras", k2["versions"]["keras"])
    glue("k2_d_after_freeze", run["trainable_counts"]["discriminator"])
    glue("k2_d_moved", moved(k2, sep, D_CALLS, "d_parameters"))
    glue("k2_d_g_moved", moved(k2, sep, D_CALLS, "g_parameters"))
    glue("k2_sep_g_moved", moved(k2, sep, ["combined"], "g_parameters"))
    glue("k2_shared_raised", f'{run["summary"]["combined"]["raised"]} of its '
                             f'{run["summary"]["combined"]["calls"]}')
    glue("k2_shared_g_moved", moved(k2, "shared_optimizer", ["combined"], "g_parameters"))
    glue("k2_keyerror", errors.get("KeyError", "(no KeyError)"))
    glue("k2_legacy_g_moved", moved(k2, "shared_legacy_optimizer", ["combined"],
                                    "g_parameters"))
    glue("k2_legacy_d_moved", moved(k2, "shared_legacy_optimizer", D_CALLS, "d_parameters"))


def check_article_pattern(k3: dict, k2: dict) -> None:
    """The claims of the sections on Keras 3 and Keras 2."""
    run3, run2 = k3["article"]["shared_optimizer"], k2["article"]["shared_optimizer"]
    for variant in ("shared_optimizer", "separate_optimizers"):
        d = [moved(k3, variant, D_CALLS, g) for g in ("d_parameters", "d_statistics")]
        check_conclusion(f"Keras 3 ({variant}): the discriminator's own calls move nothing",
                         d == [0, 0], f"parameters, statistics: {d}")
        comb = [moved(k3, variant, ["combined"], g) for g in ("g_parameters", "d_parameters")]
        check_conclusion(f"Keras 3 ({variant}): the combined model moves G only",
                         comb[0] > 0 and comb[1] == 0, f"G, D: {comb}")
    warned = run3["warnings"]
    check_conclusion("Keras 3 warns once, about trainable weights",
                     [w["count"] for w in warned] == [1]
                     and "trainable weights" in warned[0]["message"], f"{warned}")
    k3_errors = {e["type"] for e in run3["exceptions"]}
    check_conclusion("Keras 3: reset_states() raises AttributeError, no KeyError",
                     "AttributeError" in k3_errors and "KeyError" not in k3_errors,
                     f"{k3_errors}")
    for variant in ("shared_optimizer", "separate_optimizers", "shared_legacy_optimizer"):
        d, g = (moved(k2, variant, D_CALLS, x) for x in ("d_parameters", "g_parameters"))
        check_conclusion(f"Keras 2 ({variant}): the discriminator's calls train it only",
                         d > 0 and g == 0, f"D {d:.3g}, G {g:.3g}")
    summary = run2["summary"]["combined"]
    check_conclusion("Keras 2, shared Adam: every combined call raises, G never moves",
                     summary["raised"] == summary["calls"]
                     and moved(k2, "shared_optimizer", ["combined"], "g_parameters") == 0,
                     f"{summary}")
    k2_errors = {e["type"]: e["message"] for e in run2["exceptions"]}
    check_conclusion("Keras 2: the KeyError names an unrecognised variable",
                     "cannot recognize variable" in k2_errors.get("KeyError", ""),
                     f"{list(k2_errors)}")
    for result in (k3, k2):
        counts = result["article"]["shared_optimizer"]["trainable_counts"]
        check_conclusion(f"{result['flavour']}: the frozen discriminator reports 0 weights",
                         counts["discriminator"] == 0, f"{counts}")


def check_orders(k3: dict, k2: dict, exercise_rows: list[dict]) -> None:
    """The table of orders, and the Keras 3 column of exercise 5.3's solution."""
    rule = {"keras3": [False, True, False, False, False],
            "keras2": [True, True, True, False, True]}
    for result in (k3, k2):
        measured = [row["moved"] for row in result["orders"]]
        check_conclusion(f"{result['flavour']} follows the rule of the table",
                         measured == rule[result["flavour"]], f"{measured}")
    measured = [row["moved"] for row in exercise_rows]
    check_conclusion("exercise 5.3 on Keras 3: only compile, fit, freeze, fit trains",
                     measured == [True, False, False, False], f"{measured}")


def check_retrace(k3: dict, k2: dict) -> None:
    """The retrace experiment: on Keras 3 a frozen flag takes effect at a new batch shape
    (and its relaxed trace), not at a batch shape traced before the freeze; Keras 2 trains
    at every call (its list is the one of ``compile``)."""
    m3 = [row["moved"] > 0 for row in k3["retrace"]]
    check_conclusion("Keras 3: after the freeze only the batch size traced before it trains",
                     m3 == [True, True, False, False, True], f"{m3}")
    warned = [bool(row["warnings"]) for row in k3["retrace"]]
    check_conclusion("Keras 3 warns of no trainable weights at the retrace only",
                     warned == [False, False, True, False, False], f"{warned}")
    m2 = [row["moved"] > 0 for row in k2["retrace"]]
    check_conclusion("Keras 2 trains at every call, frozen or not", all(m2), f"{m2}")


def check_source(source: dict, demo: dict) -> None:
    """The lines of the Keras 3 source the chapter quotes, and the warning that never fires."""
    for fact, where in (("compile_stores_state", "compile"),
                        ("compile_drops_train_function", "compile"),
                        ("train_step_reads_trainable_weights", "train_step"),
                        ("warning_only_after_raise", "warning")):
        check_conclusion(f"Keras {source['keras']}'s source: {fact.replace('_', ' ')}",
                         source[fact], source["where"][where])
    check_conclusion("a trainable state changed after compile: no warning says so",
                     not demo["changed_state_warned"], f"issued: {demo['issued']}")


def check_explicit(k3: dict, k2: dict, library: dict) -> None:
    """Explicit variable lists: each optimizer moves its own network only, on both versions;
    BatchNormalization's statistics still move in the generator's update."""
    for name, summary in (("acgan_lib", library["summary"]), ("Keras 3", k3["explicit"]
                          ["summary"]), ("Keras 2", k2["explicit"]["summary"])):
        d, g = summary["d_update"], summary["g_update"]
        check_conclusion(f"{name}: each optimizer moves its own network only",
                         d["d_parameters_moved"] > 0 and g["g_parameters_moved"] > 0
                         and d["g_parameters_moved"] == 0 and g["d_parameters_moved"] == 0,
                         f"D update {d}, G update {g}")
    for result in (k3, k2):
        stats = result["explicit"]["summary"]["d_statistics_moved_during_g_update"]
        check_conclusion(f"{result['flavour']}: D's statistics move in G's update",
                         stats > 0, f"{stats:.3g}")
