"""`python -m bot.cli …`: the same commands as `kynangso …` (useful from a checkout without installing it)."""

import sys

from bot.cli import main

sys.exit(main())
