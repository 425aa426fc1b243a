"""The database writes of the contacts CSV import, one chunk of rows at a time.

Per chunk: one query for the owners, one or two for the companies, one for the contacts, then
bulk INSERTs and UPDATEs (COPY and UPDATE ... FROM unnest() on PostgreSQL). The caller runs a
chunk in a transaction; see leads.imports.contacts_csv for the rules.
"""

import json
from datetime import datetime
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models.functions import Lower

from core.db import analyze_missing
from leads import hooks
from leads.imports.contacts_mapping import (
    CONTACT_TARGETS,
    CREATED,
    REJECTED,
    UNCHANGED,
    UPDATED,
    ContactRow,
)
from leads.imports.sql import one_of
from leads.models import Company, Contact, StageChange
from leads.services import first_stage_changes_create

if TYPE_CHECKING:
    from django.contrib.auth.models import User

IMPORT_ACTOR = "import"  # StageChange.actor_system of the contacts an import creates without a user


def _company_key(values: dict) -> tuple[str, str] | None:
    if values.get("domain"):
        return ("domain", values["domain"])
    if values.get("name"):
        return ("name", values["name"].lower())
    return None


def _apply(obj, values: dict) -> set[str]:
    """Set the values that differ on obj; the names of the fields that changed."""
    changed = set()
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.add(name)
    return changed


def _companies_upsert(rows: list[ContactRow], *, now: datetime) -> dict[tuple[str, str], int]:
    """Company id for every company key of the rows: existing ones updated, new ones created."""
    keys = {key for row in rows if (key := _company_key(row.company))}
    if not keys:
        return {}
    domains = {value for kind, value in keys if kind == "domain"}
    names = {value for kind, value in keys if kind == "name"}
    found: dict[tuple[str, str], Company] = {}
    if domains:
        for company in Company.objects.annotate(key=Lower("domain")).filter(
            key__in=one_of(domains, "text")
        ):
            found[("domain", company.key)] = company
    if names:
        for company in Company.objects.annotate(key=Lower("name")).filter(
            key__in=one_of(names, "text"), domain=""
        ):
            found.setdefault(("name", company.key), company)
    new: dict[tuple[str, str], Company] = {}
    changed_fields: set[str] = set()
    changed: dict[int, Company] = {}
    for row in rows:
        key = _company_key(row.company)
        if key is None:
            continue
        if key in found:
            fields = _apply(found[key], row.company)
            if fields:
                changed_fields |= fields
                changed[found[key].pk] = found[key]
        elif key in new:
            _apply(new[key], row.company)
        else:
            values = {"name": key[1], **row.company}
            new[key] = Company(**values, created_at=now, updated_at=now)
    if changed:
        for company in changed.values():
            company.updated_at = now
        Company.objects.bulk_update(
            list(changed.values()), [*sorted(changed_fields), "updated_at"], batch_size=1000
        )
    if new:
        Company.objects.bulk_create(new.values())
    return {key: company.pk for key, company in (found | new).items()}


def _owners(rows: list[ContactRow]) -> dict[str, int]:
    usernames = {row.owner for row in rows if row.owner}
    if not usernames:
        return {}
    User = get_user_model()
    return dict(
        User.objects.filter(**{f"{User.USERNAME_FIELD}__in": usernames}).values_list(
            User.USERNAME_FIELD, "pk"
        )
    )


_CONTACT_LOAD = ("id", "email", "company_id", "owner_id", "attributes", *CONTACT_TARGETS)


def contacts_chunk_write(
    *,
    rows: list[ContactRow],
    by: "User | None",
    stage: str,
    reason: str,
    now: datetime,
) -> None:
    """Upsert the valid rows of one chunk; sets each row's outcome. The contacts it created or
    changed are announced (hooks.contacts_changed) for a rescore."""
    owner_ids = _owners(rows)
    for row in rows:
        if row.outcome != REJECTED and row.owner:
            if row.owner not in owner_ids:
                row.outcome, row.reject = REJECTED, ("owner", f"no user {row.owner!r}")
            else:
                row.contact["owner_id"] = owner_ids[row.owner]
    valid = [row for row in rows if row.outcome != REJECTED]
    company_ids = _companies_upsert(valid, now=now)

    emails = {row.email for row in valid}
    existing = {
        contact.email_ci: contact
        for contact in Contact.objects.annotate(email_ci=Lower("email"))
        .filter(email_ci__in=one_of(emails, "text"))
        .only(*(name for name in _CONTACT_LOAD if name != "owner"))
    }
    new: dict[str, Contact] = {}
    changed: dict[int, Contact] = {}
    changed_fields: set[str] = set()
    for row in valid:
        values = dict(row.contact)
        if key := _company_key(row.company):
            values["company_id"] = company_ids[key]
        contact = existing.get(row.email) or new.get(row.email)
        if contact is None:
            new[row.email] = Contact(
                email=row.email,
                lifecycle_stage=stage,
                stage_entered_at=now,
                created_at=now,
                updated_at=now,
                attributes=row.attributes,
                **values,
            )
            row.outcome = CREATED
            continue
        if row.attributes:
            values["attributes"] = {**contact.attributes, **row.attributes}
        fields = _apply(contact, values)
        row.outcome = UPDATED if fields else UNCHANGED
        if fields and contact.pk is not None:
            changed_fields |= fields
            changed[contact.pk] = contact
    rescore = list(changed)
    if changed:
        _contacts_update(list(changed.values()), sorted(changed_fields), now=now)
    if new:
        rescore += _contacts_insert(list(new.values()), by=by, stage=stage, reason=reason, now=now)
    # The first chunk into an empty table: statistics before its rescore is queued.
    analyze_missing(Contact, Company, StageChange)
    hooks.contacts_changed(contact_ids=rescore)


# Columns written for a new contact (everything but the id).
_INSERT_FIELDS = [f for f in Contact._meta.concrete_fields if not f.primary_key]
_PG_TYPES = {"company_id": "bigint", "owner_id": "bigint", "attributes": "jsonb"}


def _contacts_insert(
    contacts: list[Contact],
    *,
    by: "User | None",
    stage: str,
    reason: str,
    now: datetime,
) -> list[int]:
    """Insert new contacts and their first history rows, the same rows contact_create writes;
    returns their ids.

    On PostgreSQL through COPY and one INSERT ... SELECT; elsewhere with bulk_create.
    """
    if connection.vendor != "postgresql":
        created = Contact.objects.bulk_create(contacts)
        first_stage_changes_create(
            contact_ids=[contact.pk for contact in created],
            stage=stage,
            by=by,
            system=IMPORT_ACTOR,
            reason=reason,
            now=now,
        )
        return [contact.pk for contact in created]
    actor_system = "" if by is not None else IMPORT_ACTOR
    columns = ", ".join(f.column for f in _INSERT_FIELDS)
    json_fields = {f.attname for f in _INSERT_FIELDS if f.get_internal_type() == "JSONField"}
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {Contact._meta.db_table} ({columns}) FROM STDIN") as copy:
            for contact in contacts:
                copy.write_row(
                    [
                        json.dumps(getattr(contact, f.attname))
                        if f.attname in json_fields
                        else getattr(contact, f.attname)
                        for f in _INSERT_FIELDS
                    ]
                )
        cursor.execute(
            f"INSERT INTO {StageChange._meta.db_table} (contact_id, from_stage, to_stage, "
            "changed_at, actor_user_id, actor_system, reason, override) "
            "SELECT id, '', %s, %s, %s, %s, %s, false "
            f"FROM {Contact._meta.db_table} WHERE lower(email) = ANY(%s::text[]) "
            "RETURNING contact_id",
            [stage, now, by.pk if by is not None else None, actor_system, reason,
             [contact.email for contact in contacts]],
        )  # fmt: skip
        return [row[0] for row in cursor.fetchall()]


def _contacts_update(contacts: list[Contact], fields: list[str], *, now: datetime) -> None:
    """Write the changed fields of these contacts: one UPDATE ... FROM unnest() on PostgreSQL."""
    for contact in contacts:
        contact.updated_at = now
    if connection.vendor != "postgresql":
        Contact.objects.bulk_update(contacts, [*fields, "updated_at"], batch_size=1000)
        return
    model_fields = [Contact._meta.get_field(name) for name in fields]
    columns = [f.column for f in model_fields]
    types = [_PG_TYPES.get(f.attname, "text") for f in model_fields]
    arrays = [[contact.pk for contact in contacts]]
    for f in model_fields:
        values = [getattr(contact, f.attname) for contact in contacts]
        if f.attname == "attributes":
            values = [json.dumps(v) for v in values]
        arrays.append(values)
    unnest = ", ".join(["%s::bigint[]"] + [f"%s::{'text' if t == 'jsonb' else t}[]" for t in types])
    sets = ", ".join(
        f"{col} = v.{col}{'::jsonb' if t == 'jsonb' else ''}"
        for col, t in zip(columns, types, strict=True)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Contact._meta.db_table} AS c SET {sets}, updated_at = %s "
            f"FROM unnest({unnest}) AS v(id, {', '.join(columns)}) WHERE c.id = v.id",
            [now, *arrays],
        )
