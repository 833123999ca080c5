"""Chapter 4's evidence modules (acgan_lib.evidence.acgan_loss, acgan_budget, acgan_recipes):
what they glue, and that their checks pass on the shipped study and fail when it changes."""

from __future__ import annotations

import copy

import pytest

from acgan_lib.evidence import ConclusionChanged, acgan_budget, acgan_loss, acgan_recipes
from acgan_lib.study import load_study


def test_seed_table_names_the_budget_and_has_a_row_per_seed():
    table = acgan_loss.seed_table({acgan_loss.arm_title("acgan"): ("acgan", "b64-e2")})
    assert "`acgan` at 2 epochs" in table
    assert len(table.splitlines()) == 2 + 3  # head, rule, three seeds


def test_w_facts_and_check():
    f = acgan_loss.w_facts()
    assert f.glued["n_seeds"] == "3" and len(f.long_gap) == 3
    acgan_loss.check_w(f)


def test_collapse_epochs_are_per_seed_not_a_set():
    f = acgan_budget.article_budget_facts()
    assert f.glued["collapse_epochs"].count(",") + f.glued["collapse_epochs"].count(" and ") \
        == len(f.runs) - 1
    acgan_budget.check_article_budget(f)


def test_recipes_and_fidelity_checks_hold():
    long = acgan_budget.article_budget_facts()
    r1 = acgan_recipes.recipe_facts(long)
    r2 = acgan_recipes.recipe_facts(long, acgan_recipes.RECIPE2, "recipe2")
    acgan_recipes.check_recipe(r1)
    acgan_recipes.check_recipe2(r2, r1)
    f = acgan_recipes.fidelity_facts()
    assert "real digits (500 per digit)" in f.table
    acgan_recipes.check_fidelity(f)


def test_fidelity_check_fails_when_the_run_reads_like_real_digits():
    study = copy.deepcopy(load_study())
    run = next(r for r in study["runs"].values()
               if r["plan"]["model"] == acgan_recipes.RECIPE2 and "recall" in r["final"])
    run["final"]["label_accuracy"] = 0.9928  # inside the real band
    with pytest.raises(ConclusionChanged):
        acgan_recipes.check_fidelity(acgan_recipes.fidelity_facts(study=study))


def test_check_accuracy_verdict_names_a_band_without_an_upper_edge():
    from acgan_lib.exercises import check_accuracy_verdict

    def right(a, p, n):
        se = (p * (1 - p) / n) ** 0.5
        return "above" if a > p + 2 * se else "below" if a < p - 2 * se else "within"

    assert check_accuracy_verdict(right, verbose=False)
    no_top = check_accuracy_verdict(lambda a, p, n: "within" if a >= p - 0.001 else "below",
                                    verbose=False)
    assert not no_top and "upper edge" in "\n".join(no_top.problems)
