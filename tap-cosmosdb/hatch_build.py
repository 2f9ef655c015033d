"""Hatchling build hook: the plugin's sdist and wheel carry ``cosmosdb_shared``.

``cosmosdb_shared`` (``shared/`` in the repository) is not on PyPI, so the plugin cannot depend on
it by name: a wheel built from this directory, or ``pip install "git+<repo>#subdirectory=<plugin>"``,
would not resolve. Instead the package sources are copied into the plugin's own distributions
with hatchling's ``force_include`` build data (https://hatch.pypa.io/latest/plugins/build-hook/
reference/, "Build data"): from ``../shared/cosmosdb_shared`` when building from a checkout, from
``./cosmosdb_shared`` when building a wheel from the sdist, which already carries the copy.

Editable installs (``make install``, ``pip install -e``) copy nothing: the wheel target's
``dev-mode-dirs`` puts ``../shared`` on ``sys.path`` instead.

tap-cosmosdb/hatch_build.py and target-cosmosdb/hatch_build.py are the same file
(tests/test_packaging.py checks it).
"""

from __future__ import annotations

import typing as t
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SHARED_PACKAGE = "cosmosdb_shared"


class SharedSourcesHook(BuildHookInterface):
    """Adds ``cosmosdb_shared`` to the sdist and the (non-editable) wheel."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, t.Any]) -> None:
        """Force-include the shared package.

        Args:
            version: The build version: ``standard`` or, for the wheel target, ``editable``.
            build_data: Hatchling's mutable build data; ``force_include`` maps a source path to
                its path inside the distribution.

        Raises:
            FileNotFoundError: Neither ``../shared/cosmosdb_shared`` nor ``./cosmosdb_shared``
                exists (a plugin directory copied out of the repository on its own).
        """
        if version == "editable":
            return
        root = Path(self.root)
        for candidate in (root.parent / "shared" / SHARED_PACKAGE, root / SHARED_PACKAGE):
            if (candidate / "__init__.py").is_file():
                build_data["force_include"][str(candidate)] = SHARED_PACKAGE
                return
        raise FileNotFoundError(
            f"{SHARED_PACKAGE} not found beside {root} (../shared/{SHARED_PACKAGE}): build the "
            "plugin from a checkout of the whole repository"
        )
