"""acgan_lib: the library behind the course "Conditional GANs, from CGAN to ACGAN".

One module per concept: ``data`` (MNIST and the input pipeline), ``models`` (generator and
discriminator), ``losses``, ``training`` (the ``train_step``), ``viz`` (sample grids),
``checkpoint`` and ``callbacks`` (saving and resuming), ``runs`` and ``cli`` (training runs).
"""

__version__ = "0.2.0"

#: Where the course lives; Colab install cells and the book's launch buttons use this URL.
REPOSITORY_URL = "https://github.com/acgan-course/conditional-gans"
