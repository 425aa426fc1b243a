"""What a CSV import job can import: contacts (leads' own) and the kinds the apps above register.

An app above leads registers a receiver on leads.hooks.import_kinds that returns an ImportKind.
The upload page, the column mapping, the job (inline or a Celery worker, with its progress and
heartbeat), the stall scan and the rejected-rows report are the same for every kind. A kind only
says which fields a column may feed and how one row is written (`row_import`, which calls the
app's own service): rows_import (leads.imports.rows) runs them chunk by chunk, each row in a
savepoint, so a row the service refuses is rejected with the field it names and writes nothing.

Contacts keep their set-based path (leads.imports.contacts_csv): CONTACTS has no row_import.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.exceptions import DomainError
from leads import hooks
from leads.imports.contacts_mapping import SKIP, TARGETS

if TYPE_CHECKING:
    RowImport = Callable[..., str]


@dataclass(frozen=True)
class ImportKind:
    """One kind of import.

    - name: stored on ImportJob.kind (at most 30 characters), e.g. "deals"
    - label: what the pages call the rows, plural ("Deals")
    - permission: the permission a user needs to import this kind
    - targets: field name → label, the fields a column may feed
    - required: the fields a mapping must map
    - row_import: `row_import(*, values, by, now)` writes one row; `values` are the row's
      non-empty cells by field (text); returns "created", "updated" or "unchanged", or raises
      DomainError naming the field to reject the row
    - matched_by: one sentence for the upload page: how rows find what they update
    - aliases: field → header spellings guessed for it (lower case, letters and digits only)
    """

    name: str
    label: str
    permission: str
    targets: dict[str, str]
    required: tuple[str, ...]
    row_import: "RowImport | None"
    matched_by: str = ""
    aliases: dict[str, set[str]] = field(default_factory=dict)

    @property
    def target_choices(self) -> list[tuple[str, str]]:
        return [(SKIP, "— don't import —"), *self.targets.items()]


CONTACTS = ImportKind(
    name="contacts",
    label="Contacts",
    permission="leads.import_contacts",
    targets=TARGETS,
    required=("email",),
    row_import=None,  # the set-based path of leads.imports.contacts_csv
    matched_by="Contacts are matched by email (case-insensitively): known ones are updated, new "
    "ones created. Companies are matched by domain. Empty cells never blank a stored value.",
)


def import_kinds() -> dict[str, ImportKind]:
    """Every kind, contacts first, then the registered ones in registration order."""
    kinds = {CONTACTS.name: CONTACTS}
    for kind in hooks.import_kinds():
        kinds[kind.name] = kind
    return kinds


def import_kind_get(name: str) -> ImportKind:
    """The kind of this name, or a DomainError naming the field `kind`."""
    kind = import_kinds().get(name or CONTACTS.name)
    if kind is None:
        raise DomainError(f"Unknown import kind {name!r}.", field="kind")
    return kind


def import_kinds_for_user(user) -> list[ImportKind]:
    """The kinds this user may import."""
    if not user.is_authenticated:
        return []
    return [kind for kind in import_kinds().values() if user.has_perm(kind.permission)]


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def kind_mapping_guess(*, kind: ImportKind, headers: list[str]) -> dict[str, str]:
    """A first mapping for a registered kind: a column named like a field (or an alias of it)
    feeds it; other columns are skipped."""
    guessed, used = {}, set()
    for header in headers:
        key = _key(header)
        target = next(
            (
                name
                for name in kind.targets
                if name not in used
                and (key == name.replace("_", "") or key in kind.aliases.get(name, ()))
            ),
            SKIP,
        )
        if target != SKIP:
            used.add(target)
        guessed[header] = target
    return guessed


def kind_mapping_validate(
    *, kind: ImportKind, mapping: dict[str, str], headers: list[str]
) -> dict[str, str]:
    """The mapping for these headers, checked: known fields, each fed by one column, the
    required ones mapped."""
    unknown_columns = sorted(set(mapping) - set(headers))
    if unknown_columns:
        raise DomainError(
            f"The file has no column {unknown_columns[0]!r}; its columns are: {', '.join(headers)}.",
            field="mapping",
        )
    result = {header: mapping.get(header, SKIP) for header in headers}
    seen: dict[str, str] = {}
    for column, target in result.items():
        if target == SKIP:
            continue
        if target not in kind.targets:
            raise DomainError(
                f"Column {column!r}: unknown field {target!r}; use one of: "
                f"{', '.join(kind.targets)}.",
                field="mapping",
            )
        if target in seen:
            raise DomainError(
                f"Columns {seen[target]!r} and {column!r} are both mapped to {target}.",
                field="mapping",
            )
        seen[target] = column
    missing = [name for name in kind.required if name not in seen]
    if missing:
        raise DomainError(
            f"Map a column to each of: {', '.join(missing)} "
            f"({kind.label.lower()} need {'them' if len(missing) > 1 else 'it'}).",
            field="mapping",
        )
    return result
