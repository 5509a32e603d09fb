import sys

from followup_xl.doors.cli import main

sys.exit(main())
