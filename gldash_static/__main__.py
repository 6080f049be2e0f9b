"""Allow `python -m gldash_static`."""

from gldash_static.cli.main import main

raise SystemExit(main())
