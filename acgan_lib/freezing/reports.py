"""Chapter 5's tables: what each ``train_on_batch`` call moved, the problems, the orders."""

from __future__ import annotations

from collections.abc import Sequence


def markdown_table(rows: Sequence[dict], columns: dict[str, str] | None = None) -> str:
    """A Markdown table of ``rows`` (dicts); ``columns`` maps keys to headers (default: all)."""
    if not rows:
        return "(no rows)"
    columns = columns or {k: k for k in rows[0]}

    def cell(value) -> str:
        if isinstance(value, float):
            text = "0" if value == 0 else f"{value:.6g}"
        else:
            text = "" if value is None else str(value)
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(columns.values()) + " |",
             "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(k)) for k in columns) + " |" for row in rows]
    return "\n".join(lines)


def calls_table(result: dict, variant: str = "shared_optimizer") -> str:
    """One row per ``train_on_batch`` call of a :func:`freezing_experiment` result: checksums
    (sum of absolute values and SHA-256 fingerprint) of each network's parameters before and
    after, how far they moved, and the error if the call raised."""
    rows = []
    for c in result["article"][variant]["calls"]:
        rows.append({
            "step": c["step"], "call": f"`{c['call']}`",
            "d_sum": f"{c['d_parameters_sum_abs_before']:.4f} → {c['d_parameters_sum_abs_after']:.4f}",
            "d_sha": f"`{c['d_parameters_sha_before'][:8]}` → `{c['d_parameters_sha_after'][:8]}`",
            "d_moved": c["d_parameters_moved"],
            "g_sum": f"{c['g_parameters_sum_abs_before']:.4f} → {c['g_parameters_sum_abs_after']:.4f}",
            "g_moved": c["g_parameters_moved"],
            "error": c.get("error", ""),
        })
    return markdown_table(rows, {"step": "step", "call": "call", "d_sum": "D: sum of abs",
                                 "d_sha": "D: fingerprint", "d_moved": "D moved",
                                 "g_sum": "G: sum of abs", "g_moved": "G moved",
                                 "error": "raised"})


def problems_table(results: Sequence[dict], variant: str = "shared_optimizer") -> str:
    """Every exception and warning of the article's program, per flavour."""
    rows = []
    for result in results:
        run = result["article"][variant]
        for kind, items in (("exception", run["exceptions"]), ("warning", run["warnings"])):
            for item in items:
                rows.append({"flavour": result["flavour"], "kind": kind,
                             "type": item.get("type", item.get("category")),
                             "where": ", ".join(item["where"]),
                             "message": item["message"].replace("`", "'")})
    return markdown_table(rows, {"flavour": "Keras", "kind": "kind", "type": "type",
                                 "where": "where", "message": "message"})


def orders_table(results: Sequence[dict]) -> str:
    """Markdown: one row per order, one column per Keras version: did the last call train?"""
    columns = [f"Keras {r['versions']['keras']}" for r in results]
    lines = ["| order of calls | " + " | ".join(columns) + " |",
             "|---|" + ":---:|" * len(columns)]
    for i, row in enumerate(results[0]["orders"]):
        cells = ["trains" if r["orders"][i]["moved"] else "**does not train**" for r in results]
        order = " → ".join(f"`{a}`" for a in row["order"])
        lines.append(f"| {order} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
