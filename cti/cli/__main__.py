"""`python -m cti.cli ...` runs `ctiemu ...`."""

import sys

from cti.cli.main import main

sys.exit(main())
