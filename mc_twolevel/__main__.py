"""``python -m mc_twolevel``: the ``mc-twolevel`` command."""

import sys

from .cli import main

sys.exit(main())
