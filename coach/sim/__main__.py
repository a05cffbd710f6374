"""`python -m coach.sim`: the same command as `coach simulate`."""

import sys

from coach.sim.cli import main

sys.exit(main())
