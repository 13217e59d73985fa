import sys

from doitenv.cli import main

sys.exit(main())
