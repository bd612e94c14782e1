"""``python -m boundcheck`` is the ``boundcheck`` command."""

import sys

from .cli import main

sys.exit(main())
