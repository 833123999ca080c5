"""acgan_lib: the library behind the course "Conditional GANs, from CGAN to ACGAN".

One module per concept:

* ``data``: MNIST (which source, and how it is scaled) and the input pipeline.
* ``validation``: checks on what users pass in, each error naming the problem and the fix.
* ``models``: the generator (multiply or concatenate the label), the discriminator, generating.
* ``losses``: the adversarial and auxiliary losses, as small named functions of logits.
* ``training``: ``ConditionalGAN`` and its ``train_step`` (explicit variable lists).
* ``catalogue``: the named models (``MODEL_SPECS``) and ``build_gan``.
* ``checkpoint``: weights-only checkpoints that load without unpickling.
* ``callbacks``: saving for resumption, stopping on a NaN loss, the per-epoch metrics file.
* ``curves``: evaluation during training, on a schedule of steps (``curve.json``).
* ``runs``: a resumable training run in a directory (``TrainConfig``, ``train_run``).
* ``study``: a declared grid of runs (models x seeds x budget) and its aggregated results.
* ``evidence``: the study as the chapters use it: arms across seeds, curves, targets, checks.
* ``claims``: what judging the article's claims needs: parameter counts of the networks compared.
* ``classifier``: the independent MNIST classifier that every metric uses.
* ``evaluation``: the metrics (label accuracy, Frechet distance, diversity, confusion).
* ``comparison``: several models side by side: tables and figures.
* ``fidelity``: precision, recall, density, coverage, intra-class Frechet distance, CAS.
* ``pretrained``: the shipped checkpoints and loading them.
* ``shipping``: evaluating a finished run and shipping it into the package.
* ``conditioning``: how strongly an output depends on the label (chapter 3).
* ``diagnostics``: pictures that diagnose: styles, interpolations, failures, memorisation.
* ``article``: the seed article's networks and compile-then-freeze training loop.
* ``article_run``: the article's loop trained for a budget, as a resumable run with a curve.
* ``freezing``: chapter 5's experiment: what that pattern trains on Keras 3 and Keras 2
  (a package: the experiment, its tables, the Keras 2 subprocess).
* ``exercises``: the checkers of the chapters' code exercises (a package, one module per chapter).
* ``instrument``: the one place that reaches into Keras, to watch optimizers and ``trainable``.
* ``playground``: the shipped generators exported for the book's playground page.
* ``viz``: sample grids, as pictures, PNG files, figures and animations.
* ``notebook``: the run mode, gluing numbers into the book, the Colab install cell.
* ``reproducibility``: what a seed fixes, and what it cannot.
* ``files``: atomic writes, JSON, SHA-256, versions and the command line for manifests.
* ``student_edition``: the notebooks and book without solutions, to hand out.
* ``book_build``: build the book from a copy of the course (student edition, benchmark).
* ``cli``: ``python -m acgan_lib train|generate|study|ship|compare|...``.
"""

#: The course version: the library, the notebooks and the book (CHANGELOG.md).
__version__ = "0.2.0"

#: Where the course lives; Colab install cells and the book's launch buttons use this URL.
REPOSITORY_URL = "https://github.com/acgan-course/conditional-gans"

#: The git tag of this version: the Colab install cells, the notebooks' Colab badges and the
#: book's launch buttons all open this tag, so a reader runs the code the page was built from.
RELEASE_TAG = f"v{__version__}"
