"""Chapter 5's experiment: what the article's compile-then-freeze trains, on Keras 3 and Keras 2.

The article's tip 5 says that compiling *before* freezing keeps the discriminator trainable on
its own while the combined model trains only the generator. Whether that holds depends on the
Keras version. :func:`freezing_experiment` runs the article's pattern
(:mod:`acgan_lib.article`) and records, for every ``train_on_batch``, which network's weights
moved, what Keras warned and what failed; on Keras 3 in this process, on Keras 2 (the
``tf_keras`` package) in a subprocess started with ``TF_USE_LEGACY_KERAS=1``
(``python -m acgan_lib.freezing --flavour keras2 --json``). :func:`library_step_experiment`
does the same for the library's ``train_step``, :func:`trainable_orders` finds out *when* a
Keras version reads ``trainable`` (orders of compile, freeze and train), and the ``*_table``
functions report it. :func:`retrace_experiment` trains at several batch sizes after a freeze
(a retrace reads ``trainable`` again); :func:`keras3_source` and :func:`changed_state_warning`
read and test the Keras 3 source behind the rule.

A package: ``experiment`` (the measurements), ``retrace`` (the Keras 3 rule at the level of
its source), ``reports`` (the tables) and ``runner`` (a flavour
here or in a subprocess; ``python -m acgan_lib.freezing``); every name is importable from here.
"""

from acgan_lib.freezing.experiment import (ACTIONS, ORDERS, default_batch,
                                           explicit_step_experiment, library_step_experiment,
                                           run_article_pattern, trainable_orders)
from acgan_lib.freezing.retrace import (RETRACE_CALLS, changed_state_warning, keras3_source,
                                        retrace_experiment, retrace_table)
from acgan_lib.freezing.reports import calls_table, markdown_table, orders_table, problems_table
from acgan_lib.freezing.runner import freezing_experiment, main
