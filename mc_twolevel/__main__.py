"""``python -m mc_twolevel``: the ``mc-twolevel`` command."""

import sys

from mc_twolevel_launcher import finished

from .cli import main

sys.exit(finished(main()))
