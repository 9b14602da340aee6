import sys

from spectral_inr.cli import main

sys.exit(main())
