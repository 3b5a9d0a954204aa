"""``python -m roomcast`` runs the command line."""

import sys

from roomcast.ops.cli import main

sys.exit(main())
