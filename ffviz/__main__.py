"""`python -m ffviz` is the `ffviz` command."""

import sys

from ffviz.cli import main

sys.exit(main())
