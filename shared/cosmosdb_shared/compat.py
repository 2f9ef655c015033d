"""Fingerprints of the private library code the plugins rely on.

singer-sdk and azure-cosmos offer no public hook for a few things this project needs (listed,
each with its reason and upstream issue, in ``tap_cosmosdb.compat``, ``target_cosmosdb.compat``
and below). Both libraries are pinned exactly in the packages' metadata; on top of that, each
compat module records a fingerprint of the private source it relies on, and
``tests/*/test_compat.py`` recomputes it: an upgrade that changes that code fails the test
before it can silently change the delivery guarantee.

Private uses of this package:
    ``azure.cosmos._base.ParsePaths`` (``cosmosdb_shared.partition_key``): the SDK's own
    partition-key path parser, so that paths with quoted members (``/"a/b"``) are split exactly
    as the SDK splits them when it routes a document. No public equivalent exists in
    azure-cosmos 4.17.1.

``singer_sdk.target_base`` (module import) and ``Target._drain_all``:
    singer-sdk's package import runs ``target_base``, which does
    ``from joblib import Parallel, delayed, parallel_config`` (used only by
    ``Target._drain_all``); joblib imports numpy, psutil and loky, about a third of singer-sdk's
    import time. A tap never drains a sink, and target-cosmosdb drains without joblib
    (``TargetCosmosDB.drain_sinks``). This module is imported first by both plugins (and by
    this package's ``__init__``): while singer_sdk is first imported, :func:`deferred_imports`
    puts a stand-in module under ``sys.modules["joblib"]`` whose three names import the real
    joblib on first call; afterwards ``import joblib`` is the real module. Anything else asked
    of the stand-in during that import also loads the real joblib. ``tests/tap/test_startup.py``
    fails if singer-sdk imports other joblib names or imports joblib elsewhere, and the
    plugins' ``PRIVATE_USES`` fingerprint ``Target._drain_all`` (the names' caller). Upstream:
    meltano/sdk#2335 (install and import overheads, closed; 0.54.9 still imports joblib from
    the package root).

``singer_sdk.helpers._batch`` (``from upath import UPath``), ``singer_sdk.about``
(``from packaging.specifiers import SpecifierSet``, ``from packaging.version import Version``),
``singer_sdk.helpers._compat`` and ``singer_sdk.configuration._dict_config``:
    The same stand-in mechanism (:func:`deferred_imports`, :data:`DEFERRED_CALLABLES`) serves
    these names: universal-pathlib and fsspec are needed only to write or read BATCH files,
    packaging only to print ``--about``. So do ``helpers._compat``'s ``from importlib_metadata
    import entry_points`` (batch encoder plugins) and ``configuration._dict_config``'s
    python-dotenv imports (``--config ENV`` only).
    ``tests/shared/test_deferred_imports.py`` fails if singer-sdk imports these modules
    anywhere else or uses the names other than by calling them; ``--about`` output is compared
    with a process that imported the real modules first. Upstream: no issue found for these
    modules (meltano/sdk#2335 above is the general one on import overheads).

``singer_sdk.streams`` re-exports ``RESTStream`` and ``GraphQLStream`` (module import):
    ``singer_sdk.streams`` imports ``streams.rest`` and ``streams.graphql`` (their own code,
    jsonpath-ng and its parser tables, singer-sdk's authenticators and paginators) only to
    re-export their base classes, which a Cosmos DB plugin never subclasses. Stand-ins serve
    them while singer_sdk is imported; then the placeholders are removed from ``singer_sdk``
    and ``singer_sdk.streams`` and a PEP 562 module ``__getattr__`` (wrapping singer-sdk's
    own, which serves deprecated SQL names) imports the real classes on first access, so
    ``from singer_sdk import RESTStream`` still returns the real class.
    ``tests/shared/test_deferred_imports.py`` fails if singer-sdk imports them anywhere else at
    module level. Upstream: no issue found (see meltano/sdk#2335 above).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import inspect
import sys
import types
import typing as t

from azure.cosmos._base import ParsePaths

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

__all__ = [
    "DEFERRED_CALLABLES",
    "DEFERRED_CLASSES",
    "JOBLIB_NAMES",
    "PRIVATE_USES",
    "REEXPORTERS",
    "ParsePaths",
    "changed_fingerprints",
    "deferred_imports",
    "resolve",
    "source_fingerprint",
]


# singer-sdk import ------------------------------------------------------------------------

#: What singer-sdk 0.54.9's ``target_base`` imports from joblib, by name; only
#: ``Target._drain_all`` calls them.
JOBLIB_NAMES = ("Parallel", "delayed", "parallel_config")

#: Modules ``import singer_sdk`` (0.54.9) imports that neither plugin calls during a
#: Singer-protocol run, each with the names singer-sdk takes from it. singer-sdk only ever
#: calls these names (``tests/shared/test_deferred_imports.py`` checks every use), so each is
#: served by a function that imports the real module on its first call:
#:
#: * ``joblib``: ``target_base``; only ``Target._drain_all`` calls them (numpy, psutil, loky).
#: * ``upath``: ``helpers._batch.StorageTarget``; only BATCH messages (batch files) need it
#:   (universal-pathlib imports fsspec).
#: * ``packaging.specifiers``, ``packaging.version``: ``about``; only ``--about`` formats the
#:   supported Python versions with them (``packaging.specifiers`` compiles a large regular
#:   expression at import).
#: * ``importlib_metadata`` (the backport, Python < 3.12): ``helpers._compat``, re-exported to
#:   ``batch``, which looks up batch encoder plugins with it (BATCH messages only).
#: * ``dotenv``, ``dotenv.main``: ``configuration._dict_config``; only ``--config ENV`` reads a
#:   ``.env`` file with them.
DEFERRED_CALLABLES: dict[str, tuple[str, ...]] = {
    "joblib": JOBLIB_NAMES,
    "upath": ("UPath",),
    "packaging.specifiers": ("SpecifierSet",),
    "packaging.version": ("Version",),
    "importlib_metadata": ("entry_points",),
    "dotenv": ("find_dotenv",),
    "dotenv.main": ("DotEnv",),
}

#: singer-sdk's REST and GraphQL stream modules (requests, jsonpath-ng and its parser tables),
#: imported by ``singer_sdk.streams`` only to re-export their base classes; a Cosmos DB plugin
#: subclasses neither. Module to the class it re-exports.
DEFERRED_CLASSES: dict[str, str] = {
    "singer_sdk.streams.graphql": "GraphQLStream",
    "singer_sdk.streams.rest": "RESTStream",
}

#: The packages that re-export :data:`DEFERRED_CLASSES` (``from singer_sdk import RESTStream``).
REEXPORTERS = ("singer_sdk", "singer_sdk.streams")


def _real_module(name: str) -> types.ModuleType:
    """Import (once) and return the real module ``name``, taking a stand-in out of the way."""
    if isinstance(sys.modules.get(name), _StandIn):
        del sys.modules[name]
    return importlib.import_module(name)


def _deferred(module: str, name: str) -> Callable[..., t.Any]:
    def call(*args: t.Any, **kwargs: t.Any) -> t.Any:
        return getattr(_real_module(module), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"``{module}.{name}``, imported on the first call."
    return call


class _StandIn(types.ModuleType):
    """Stands in for a module while singer_sdk is imported (see :func:`deferred_imports`)."""

    def __init__(self, name: str, names: Iterable[str]) -> None:
        super().__init__(name, f"Stand-in for {name}; the real module loads on first use.")
        for attr in names:
            setattr(self, attr, _deferred(name, attr))

    def __getattr__(self, attr: str) -> t.Any:
        if attr.startswith("__"):  # the import system probing (``__path__``): not the module's
            raise AttributeError(attr)
        return getattr(_real_module(self.__name__), attr)


def _lazy_reexports(package: types.ModuleType, placeholders: dict[str, t.Any]) -> None:
    """Drop placeholder re-exports from ``package``; its ``__getattr__`` imports them on access.

    PEP 562 module ``__getattr__`` is called only for names missing from the module, so
    ``from singer_sdk import RESTStream`` after start-up imports ``singer_sdk.streams.rest`` and
    returns the real class; the package's own ``__getattr__`` (deprecated SQL names) still
    answers everything else.
    """
    modules = {cls: module for module, cls in DEFERRED_CLASSES.items()}
    for name, placeholder in placeholders.items():
        if package.__dict__.get(name) is placeholder:
            delattr(package, name)
    original = package.__dict__.get("__getattr__")

    def __getattr__(name: str) -> t.Any:
        if name in modules and name not in package.__dict__:
            value = getattr(importlib.import_module(modules[name]), name)
            setattr(package, name, value)
            return value
        if original is None:
            raise AttributeError(f"module {package.__name__!r} has no attribute {name!r}")
        return original(name)

    package.__getattr__ = __getattr__  # type: ignore[method-assign]


@contextlib.contextmanager
def deferred_imports() -> Iterator[None]:
    """Let singer_sdk be imported without the modules a Singer-protocol run never uses.

    While the block runs, ``sys.modules`` holds a stand-in for each module of
    :data:`DEFERRED_CALLABLES` and :data:`DEFERRED_CLASSES` not yet imported; the names
    singer-sdk takes from them import the real module on first call, and so does anything else
    asked of a stand-in. Afterwards the stand-ins are gone (``import upath`` is the real
    module), and the base classes ``singer_sdk`` and ``singer_sdk.streams`` re-export are
    imported on first access. Does nothing when singer_sdk is already imported.

    Yields:
        None, while the stand-ins are in ``sys.modules``.
    """
    if "singer_sdk" in sys.modules:
        yield
        return
    wanted = {**DEFERRED_CALLABLES, **{m: (c,) for m, c in DEFERRED_CLASSES.items()}}
    stand_ins = {m: _StandIn(m, names) for m, names in wanted.items() if m not in sys.modules}
    sys.modules.update(stand_ins)
    try:
        yield
    finally:
        for name, stand_in in stand_ins.items():
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]
        placeholders = {
            cls: getattr(stand_ins[module], cls)
            for module, cls in DEFERRED_CLASSES.items()
            if module in stand_ins
        }
        for package in REEXPORTERS:
            if placeholders and package in sys.modules:
                _lazy_reexports(sys.modules[package], placeholders)


with deferred_imports():
    import singer_sdk  # noqa: F401  (first import of singer_sdk in the plugin's process)

#: Private callables of azure-cosmos this package uses, by dotted name, with the fingerprint of
#: their source in the pinned version (see :func:`source_fingerprint`).
PRIVATE_USES: dict[str, str] = {
    "azure.cosmos._base.ParsePaths": "00e84820882356ed",
}


def source_fingerprint(obj: t.Any) -> str:
    """Return a short fingerprint of an object's source code.

    The source is taken with :func:`inspect.getsource`, stripped of trailing whitespace per
    line, and hashed with SHA-256; the first 16 hex digits are returned. Comments and docstrings
    count: a change there is a reason to re-read the code.

    Args:
        obj: A function, method or class whose source is available.

    Returns:
        16 hexadecimal characters.

    Raises:
        OSError: the source of ``obj`` is not available (e.g. a C extension).
        TypeError: ``obj`` is a built-in object without source.
    """
    source = "\n".join(line.rstrip() for line in inspect.getsource(obj).splitlines())
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


def resolve(dotted: str) -> t.Any:
    """Import and return the object a dotted name such as ``pkg.module.Class.method`` names.

    Args:
        dotted: Module path followed by attribute names.

    Returns:
        The object.

    Raises:
        ImportError: no prefix of ``dotted`` is an importable module.
        AttributeError: an attribute along the path does not exist (the library changed).
    """
    import importlib

    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(f"cannot import any module prefix of {dotted!r}")


def changed_fingerprints(recorded: t.Mapping[str, str]) -> dict[str, str]:
    """Compare recorded fingerprints with the installed libraries.

    Args:
        recorded: Dotted name to the fingerprint recorded for the pinned library version.

    Returns:
        Dotted name to a description of the difference, for every name whose object is gone
        or whose source changed; empty when everything matches.
    """
    changed: dict[str, str] = {}
    for dotted, expected in recorded.items():
        try:
            actual = source_fingerprint(resolve(dotted))
        except (ImportError, AttributeError, OSError, TypeError) as exc:
            changed[dotted] = f"missing ({exc})"
            continue
        if actual != expected:
            changed[dotted] = f"source changed: recorded {expected}, installed {actual}"
    return changed
