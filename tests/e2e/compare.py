"""Compare two containers document by document, by (partition key value, id)."""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, field

if t.TYPE_CHECKING:
    from azure.cosmos import ContainerProxy

SYSTEM_PROPERTIES = frozenset({"_rid", "_self", "_etag", "_ts", "_attachments", "_lsn"})
_UNDEFINED = ("<undefined>",)


def _pk_value(doc: dict[str, t.Any], path: str) -> t.Any:
    node: t.Any = doc
    for part in path.strip("/").split("/"):
        if not isinstance(node, dict) or part not in node:
            return _UNDEFINED
        node = node[part]
    return repr(node)


def snapshot(
    container: ContainerProxy, paths: list[str]
) -> dict[tuple[t.Any, ...], dict[str, t.Any]]:
    """Read every document, keyed by (partition key value(s)..., id), system properties removed."""
    out: dict[tuple[t.Any, ...], dict[str, t.Any]] = {}
    for doc in container.read_all_items(max_item_count=1000):
        key = (*(_pk_value(doc, p) for p in paths), doc["id"])
        assert key not in out, f"duplicate document {key}"
        out[key] = {k: v for k, v in doc.items() if k not in SYSTEM_PROPERTIES}
    return out


@dataclass
class Comparison:
    compared: int = 0
    lost: list[t.Any] = field(default_factory=list)
    extra: list[t.Any] = field(default_factory=list)
    different: list[t.Any] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.extra or self.different)

    def __str__(self) -> str:
        return (
            f"compared={self.compared} lost={len(self.lost)} extra={len(self.extra)} "
            f"different={len(self.different)} first lost={self.lost[:3]} "
            f"first different={self.different[:3]}"
        )


def compare(source: ContainerProxy, destination: ContainerProxy, paths: list[str]) -> Comparison:
    """Compare every field of every document of ``source`` with ``destination``."""
    src = snapshot(source, paths)
    dst = snapshot(destination, paths)
    result = Comparison(compared=len(src))
    for key, doc in src.items():
        other = dst.get(key)
        if other is None:
            result.lost.append(key)
        elif other != doc:
            result.different.append((key, doc, other))
    result.extra = [k for k in dst if k not in src]
    return result
