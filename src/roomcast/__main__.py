"""``python -m roomcast`` runs the command line."""

import sys

from roomcast.cli import main

sys.exit(main())
