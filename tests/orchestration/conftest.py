"""The orchestration suite runs only under ``make orchestration`` (``COSMOS_ORCHESTRATION=1``).

It needs Dagster, which lives in its own virtualenv (``.venv-orchestration``, built by the make
target) rather than in ``.venv``. Without the variable its test modules are not collected, so
``make test`` pays nothing for it.
"""

from __future__ import annotations

import os

if os.environ.get("COSMOS_ORCHESTRATION") != "1":
    collect_ignore_glob = ["test_*.py"]
