"""``python -m acgan_lib``: see :mod:`acgan_lib.cli`."""

import sys

from acgan_lib.cli import main

sys.exit(main())
