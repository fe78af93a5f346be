"""The shape of a Table page that `ls` reads, as msgspec structs (`paging` decodes with them).

Only the fields a DataFrame needs are declared (labels for `--show-labels` and `-L`): msgspec
skips the rest of each row's object (managedFields, annotations) without building it.
Imported lazily: msgspec is not loaded by `import kjupyter`.
"""

from typing import Any

import msgspec


class _Readable(msgspec.Struct, gc=False):
    """Read like the dict it stands for (`row.get("cells")`, `meta["name"]`), so that
    `tables.to_frame` takes decoded rows as they are, with no dict built per row."""

    def get(self, key: str, default: Any = None) -> Any:
        value = getattr(self, key, None)
        return default if value is None else value

    def __getitem__(self, key: str) -> Any:
        value = getattr(self, key, None)
        if value is None:
            raise KeyError(key)
        return value


class RowMetadata(_Readable):
    name: Any = None
    namespace: Any = None
    creationTimestamp: Any = None
    resourceVersion: Any = None
    labels: Any = None


class RowObject(_Readable):
    metadata: RowMetadata | None = None


class Row(_Readable):
    cells: list[Any] = []
    object: RowObject | None = None


class ListMetadata(msgspec.Struct, gc=False):
    resourceVersion: Any = None
    next: Any = msgspec.field(default=None, name="continue")


class Table(msgspec.Struct, gc=False):
    kind: Any = None
    metadata: ListMetadata | None = None
    columnDefinitions: list[dict[str, Any]] = []
    rows: list[Row] | None = None


class Head(msgspec.Struct, gc=False):
    """A page's list metadata only: the `continue` token, before its rows are decoded."""

    metadata: ListMetadata | None = None


TABLE = msgspec.json.Decoder(Table)
HEAD = msgspec.json.Decoder(Head)
ANY = msgspec.json.Decoder()
FAILURES = (msgspec.DecodeError, msgspec.ValidationError)
