"""Measurements of the shipped models at fixed sizes: the same numbers in every run mode.

A sentence that concludes from a measurement must not change with the build (CI's smoke build
measures less than a reader's): chapters 3 and 8 quote the label dependence of the shipped
CGANs from :func:`shipped_dependence`, whose sizes are fixed here, so that both chapters print
the same ratios in every build.
"""

from __future__ import annotations

from acgan_lib import conditioning
from acgan_lib.pretrained import load_pretrained

#: Image pairs and seed of every quoted label-dependence ratio (chapters 3 and 8).
DEPENDENCE_PAIRS = 500
DEPENDENCE_SEED = 0


def shipped_dependence(name: str, layer: str | None = None, generator=None) -> float:
    """The label dependence (label change over noise change) of the shipped ``name``'s
    generator, on its images or at ``layer``, from :data:`DEPENDENCE_PAIRS` pairs."""
    generator = generator if generator is not None else load_pretrained(name).generator
    return conditioning.label_dependence(generator, pairs=DEPENDENCE_PAIRS,
                                         seed=DEPENDENCE_SEED, layer=layer).ratio
