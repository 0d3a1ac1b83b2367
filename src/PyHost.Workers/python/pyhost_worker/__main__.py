"""Entry point: `python -m pyhost_worker`, started by the PyHost front with PYHOST_* variables set."""

from .worker import main

raise SystemExit(main())
