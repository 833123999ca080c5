"""``python -m acgan_lib.freezing``: the experiment on one flavour, as JSON."""

import sys

from acgan_lib.freezing.runner import main

sys.exit(main())
