"""Import of contacts from a CSV file (browser upload, `manage.py import_contacts`, Celery task).

Rules:
- The file is UTF-8 (with or without a byte-order mark); the delimiter (, ; tab |) is sniffed.
  The first line names the columns; a mapping says which column feeds which field. Columns mapped
  to ATTRIBUTE go into the contact's custom attributes under the column's name.
- Contacts are upserted by email, case-insensitively. New contacts start in stage `lead` (or
  `subscriber` if asked), each with its first StageChange row, as contact_create writes them.
- An empty cell leaves the stored value alone: an import never blanks a field.
- Companies are matched by domain (case-insensitively), or, without a domain, by name among
  companies that have no domain.
- A row that fails validation (bad email, number, country, unknown choice value or owner) is
  rejected with the column and field it is about; it writes nothing. Other rows are imported.
- The same email twice in a file: rows apply in file order, so the last non-empty value wins;
  the first row counts as created (or updated) and the later ones as updated (or unchanged).
- Work is set-based in chunks of CHUNK rows: per chunk one query for the owners, one or two for
  the companies, one for the contacts, then bulk INSERTs and UPDATEs, in one transaction. A job's
  progress is saved after each chunk. A failure stops the import; the chunks before it stay
  imported (re-running the file is safe: it is an upsert).
- The contacts a chunk created or changed are queued for an incremental rescore when it commits.
"""

import csv
import json
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.http import Http404
from django.utils import timezone

from core.exceptions import DomainError
from core.roles import is_admin
from leads import hooks
from leads.imports.sql import one_of
from leads.imports.validation import email_parse
from leads.models import (
    Company,
    Contact,
    Department,
    ImportJob,
    ImportStatus,
    LifecycleStage,
    Seniority,
    StageChange,
)
from leads.services import CONTACT_FIELDS, first_stage_changes_create

CHUNK = 5_000
INLINE_MAX_ROWS = 2_000  # larger files run as a Celery task
REJECTED_KEPT = 1_000  # rejected rows kept on the job for the report page; all go to the CSV
MAX_COLUMNS = 200
SNIFF_BYTES = 64 * 1024
INITIAL_STAGES = (LifecycleStage.LEAD, LifecycleStage.SUBSCRIBER)
SYSTEM = "import"

ATTRIBUTE = "attribute"  # target: the contact's custom attributes, under the column name
SKIP = ""  # target: ignore the column

# Target fields: name → label. Contact fields come from services.CONTACT_FIELDS.
CONTACT_TARGETS = {"email": "Email"} | {
    name: Contact._meta.get_field(name).verbose_name.capitalize()
    for name in CONTACT_FIELDS
    if name != "attributes"
}
CONTACT_TARGETS["owner"] = "Owner (username)"
COMPANY_TARGETS = {
    "company_name": "Company name",
    "company_domain": "Company domain",
    "industry": "Company industry",
    "employee_count": "Company employee count",
    "annual_revenue": "Company annual revenue",
    "company_country": "Company country",
    "company_tags": "Company tags (comma-separated)",
}
TARGETS = CONTACT_TARGETS | COMPANY_TARGETS | {ATTRIBUTE: "Custom attribute (column name)"}
TARGET_CHOICES = [(SKIP, "— don't import —"), *TARGETS.items()]
# Company target → Company model field.
_COMPANY_FIELD = {
    "company_name": "name",
    "company_domain": "domain",
    "industry": "industry",
    "employee_count": "employee_count",
    "annual_revenue": "annual_revenue",
    "company_country": "country",
    "company_tags": "tags",
}
# Header spellings guessed for each target (lower case, letters and digits only).
_ALIASES = {
    "email": {"email", "emailaddress", "mail", "workemail", "businessemail"},
    "first_name": {"firstname", "first", "givenname", "forename"},
    "last_name": {"lastname", "last", "surname", "familyname"},
    "job_title": {"jobtitle", "title", "position"},
    "phone": {"phone", "phonenumber", "telephone", "mobile", "tel"},
    "country": {"country", "countrycode"},
    "company_name": {"company", "companyname", "organization", "organisation", "account"},
    "company_domain": {"domain", "companydomain", "website", "companywebsite", "url"},
    "employee_count": {"employeecount", "employees", "numberofemployees", "companysize"},
    "annual_revenue": {"annualrevenue", "revenue"},
    "company_tags": {"tags", "techstack", "companytags"},
}
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")

CREATED, UPDATED, UNCHANGED, REJECTED = "created", "updated", "unchanged", "rejected"


# --- reading the file -------------------------------------------------------------------------


@dataclass(frozen=True)
class CsvInfo:
    headers: list[str]
    delimiter: str
    preview: list[list[str]]
    total_rows: int


def _open(path: Path):
    return open(path, encoding="utf-8-sig", newline="")


def _sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _rows(path: Path) -> tuple[list[str], str, Iterator[tuple[int, list[str]]], object]:
    """Headers, delimiter and an iterator of (line number, cells) after the header line."""
    fh = _open(path)
    try:
        delimiter = _sniff_delimiter(fh.read(SNIFF_BYTES))
        fh.seek(0)
        reader = csv.reader(fh, delimiter=delimiter)
        headers = [h.strip() for h in next(reader, [])]
    except (UnicodeDecodeError, csv.Error) as exc:
        fh.close()
        raise DomainError(_read_error(exc), field="file") from None

    def rows():
        try:
            for cells in reader:
                if any(cell.strip() for cell in cells):
                    yield reader.line_num, cells
        except (UnicodeDecodeError, csv.Error) as exc:
            message = f"Line {reader.line_num + 1}: {_read_error(exc)}"
            raise DomainError(message, field="file") from None
        finally:
            fh.close()

    return headers, delimiter, rows(), fh


def _read_error(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "The file is not a UTF-8 text file; save it as CSV (UTF-8) and upload it again."
    return f"The file is not a readable CSV file ({exc})."


def csv_inspect(*, path: Path, preview_rows: int = 5) -> CsvInfo:
    """Check that a file is a CSV with a usable header line; its headers, a preview, its size."""
    headers, delimiter, rows, fh = _rows(path)
    try:
        if not any(headers):
            raise DomainError(
                "The file is empty; the first line must name the columns.", field="file"
            )
        if len(headers) > MAX_COLUMNS:
            raise DomainError(f"The file has more than {MAX_COLUMNS} columns.", field="file")
        for number, header in enumerate(headers, start=1):
            if not header:
                raise DomainError(f"Column {number} has no name in the first line.", field="file")
        seen = set()
        for header in headers:
            if header.lower() in seen:
                raise DomainError(f"Column {header!r} appears twice.", field="file")
            seen.add(header.lower())
        preview, total = [], 0
        for _line, cells in rows:
            total += 1
            if len(preview) < preview_rows:
                preview.append((cells + [""] * len(headers))[: len(headers)])
        if total == 0:
            raise DomainError("The file has a header line but no rows.", field="file")
    finally:
        fh.close()
    return CsvInfo(headers=headers, delimiter=delimiter, preview=preview, total_rows=total)


def mapping_guess(*, headers: list[str]) -> dict[str, str]:
    """A first mapping from the header names; unknown columns become custom attributes."""
    guessed: dict[str, str] = {}
    used: set[str] = set()
    for header in headers:
        key = re.sub(r"[^a-z0-9]", "", header.lower())
        target = next(
            (
                name
                for name in TARGETS
                if name != ATTRIBUTE
                and name not in used
                and (key == name.replace("_", "") or key in _ALIASES.get(name, ()))
            ),
            ATTRIBUTE,
        )
        if target != ATTRIBUTE:
            used.add(target)
        guessed[header] = target
    return guessed


def mapping_validate(*, mapping: dict[str, str], headers: list[str]) -> dict[str, str]:
    """The mapping for these headers, checked: known targets, each used once, email mapped."""
    unknown_columns = sorted(set(mapping) - set(headers))
    if unknown_columns:
        raise DomainError(
            f"The file has no column {unknown_columns[0]!r}; its columns are: {', '.join(headers)}.",
            field="mapping",
        )
    result = {header: mapping.get(header, SKIP) for header in headers}
    seen: dict[str, str] = {}
    for column, target in result.items():
        if target not in TARGETS and target != SKIP:
            raise DomainError(
                f"Column {column!r}: unknown field {target!r}; use one of: {', '.join(TARGETS)}.",
                field="mapping",
            )
        if target not in (SKIP, ATTRIBUTE):
            if target in seen:
                raise DomainError(
                    f"Columns {seen[target]!r} and {column!r} are both mapped to {target}.",
                    field="mapping",
                )
            seen[target] = column
    if "email" not in seen:
        raise DomainError("Map one column to email: contacts are matched by it.", field="email")
    return result


# --- validating rows --------------------------------------------------------------------------


class _Reject(Exception):
    def __init__(self, column: str, target: str, reason: str):
        self.column, self.target, self.reason = column, target, reason


def _choice_lookup(choices) -> dict[str, str]:
    lookup = {}
    for value, label in choices.choices:
        lookup[value.lower()] = value
        lookup[label.lower()] = value
        lookup[value.replace("_", " ")] = value
    return lookup


_CHOICES = {"seniority": _choice_lookup(Seniority), "department": _choice_lookup(Department)}
_MAX_LENGTH = {
    name: Contact._meta.get_field(name).max_length
    for name in CONTACT_TARGETS
    if name not in ("email", "owner")
} | {
    target: Company._meta.get_field(model_field).max_length
    for target, model_field in _COMPANY_FIELD.items()
    if target in ("company_name", "industry")
}
_REVENUE_MAX = Decimal(10) ** 14


def _clean(target: str, value: str, column: str):
    """One cell's value for its target field, or _Reject naming the column and field."""
    if target == "email":
        email = email_parse(value)
        if email is None:
            raise _Reject(column, target, f"{value!r} is not a valid email address")
        return email
    if target in _CHOICES:
        choice = _CHOICES[target].get(value.lower())
        if choice is None:
            allowed = ", ".join(sorted({v for v in _CHOICES[target].values()}))
            raise _Reject(column, target, f"unknown value {value!r}; use one of: {allowed}")
        return choice
    if target in ("country", "company_country"):
        if not _COUNTRY.match(value):
            raise _Reject(column, target, f"{value!r} is not a two-letter country code")
        return value.upper()
    if target == "company_domain":
        domain = re.sub(r"^https?://", "", value.lower()).split("/")[0].removeprefix("www.")
        if not _DOMAIN.match(domain):
            raise _Reject(column, target, f"{value!r} is not a domain name")
        return domain
    if target == "employee_count":
        digits = value.replace(",", "").replace("_", "").replace(" ", "")
        if not digits.isdigit() or len(digits) > 9:
            raise _Reject(column, target, f"{value!r} is not a whole number of employees")
        return int(digits)
    if target == "annual_revenue":
        try:
            amount = Decimal(value.replace(",", "").replace(" ", ""))
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite() or not 0 <= amount < _REVENUE_MAX:
            raise _Reject(column, target, f"{value!r} is not an amount")
        return amount.quantize(Decimal("0.01"))
    if target == "company_tags":
        return [tag.strip() for tag in value.split(",") if tag.strip()]
    if "\x00" in value:
        raise _Reject(column, target, "contains a NUL character")
    max_length = _MAX_LENGTH.get(target)
    if max_length and len(value) > max_length:
        raise _Reject(column, target, f"longer than {max_length} characters")
    return value


@dataclass(slots=True)
class _Row:
    line: int
    cells: list[str]
    email: str
    contact: dict
    company: dict
    attributes: dict
    owner: str = ""
    outcome: str = ""
    reject: tuple[str, str] | None = None  # (column/field, reason)


def _parse_row(line: int, cells: list[str], columns: list[tuple[int, str, str]]) -> _Row:
    row = _Row(line=line, cells=cells, email="", contact={}, company={}, attributes={})
    try:
        for index, column, target in columns:
            value = cells[index].strip() if index < len(cells) else ""
            if not value:
                if target == "email":
                    raise _Reject(column, target, "is empty; every row needs an email")
                continue
            if target == ATTRIBUTE:
                row.attributes[column] = _clean(ATTRIBUTE, value, column)
            elif target == "owner":
                row.owner = value
            else:
                cleaned = _clean(target, value, column)
                if target == "email":
                    row.email = cleaned
                elif target in _COMPANY_FIELD:
                    row.company[_COMPANY_FIELD[target]] = cleaned
                else:
                    row.contact[target] = cleaned
    except _Reject as exc:
        row.outcome = REJECTED
        row.reject = (f"{exc.column} ({exc.target})", exc.reason)
    return row


# --- writing a chunk --------------------------------------------------------------------------


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


def _companies_upsert(rows: list[_Row], *, now: datetime) -> dict[tuple[str, str], int]:
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


def _owners(rows: list[_Row]) -> dict[str, int]:
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


def _chunk_write(rows: list[_Row], *, by, stage: str, reason: str, now: datetime) -> None:
    """Upsert the valid rows of one chunk; sets each row's outcome."""
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
    hooks.contacts_changed(contact_ids=rescore)


# Columns written for a new contact (everything but the id).
_INSERT_FIELDS = [f for f in Contact._meta.concrete_fields if not f.primary_key]
_PG_TYPES = {"company_id": "bigint", "owner_id": "bigint", "attributes": "jsonb"}


def _contacts_insert(contacts: list[Contact], *, by, stage: str, reason: str, now) -> list[int]:
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
            system=SYSTEM,
            reason=reason,
            now=now,
        )
        return [contact.pk for contact in created]
    actor_system = "" if by is not None else SYSTEM
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


def _contacts_update(contacts: list[Contact], fields: list[str], *, now) -> None:
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


# --- the import -------------------------------------------------------------------------------


@dataclass
class ContactImportResult:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    # The first REJECTED_KEPT rejected rows: [line, column (field), reason].
    rejected_rows: list[list] = field(default_factory=list)
    rejected_path: Path | None = None


def contacts_import(
    *,
    path: Path,
    mapping: dict[str, str],
    by=None,
    stage: str = LifecycleStage.LEAD,
    reason: str = "",
    rejected_path: Path | None = None,
    progress: Callable[[ContactImportResult], None] | None = None,
    now: datetime | None = None,
) -> ContactImportResult:
    """Upsert the contacts of a CSV file by email; see the module docstring for the rules.

    Rejected rows are written to `rejected_path` (CSV: line, column, reason, then the row's own
    cells) when given; `progress` is called after each chunk with the counts so far.
    """
    if stage not in INITIAL_STAGES:
        raise DomainError(
            f"New contacts start in {' or '.join(INITIAL_STAGES)}, not {stage!r}.", field="stage"
        )
    now = now or timezone.now()
    reason = reason or f"Imported from {path.name}"
    headers, _delimiter, rows, fh = _rows(path)
    with ExitStack() as stack:
        stack.callback(fh.close)
        mapping = mapping_validate(mapping=mapping, headers=headers)
        columns = [
            (index, header, mapping[header])
            for index, header in enumerate(headers)
            if mapping[header] != SKIP
        ]
        result = ContactImportResult(rejected_path=rejected_path)
        rejected_writer = None
        if rejected_path is not None:
            out = stack.enter_context(open(rejected_path, "w", encoding="utf-8", newline=""))
            rejected_writer = csv.writer(out)
            rejected_writer.writerow(["line", "column", "reason", *headers])
        chunk: list[_Row] = []
        for line, cells in rows:
            chunk.append(_parse_row(line, cells, columns))
            if len(chunk) == CHUNK:
                _chunk_run(
                    chunk, result, rejected_writer, by=by, stage=stage, reason=reason, now=now
                )
                chunk = []
                if progress:
                    progress(result)
        if chunk:
            _chunk_run(chunk, result, rejected_writer, by=by, stage=stage, reason=reason, now=now)
    return result


def _chunk_run(chunk, result, rejected_writer, *, by, stage, reason, now) -> None:
    for attempt in range(2):
        try:
            with transaction.atomic():
                _chunk_write(chunk, by=by, stage=stage, reason=reason, now=now)
            break
        except IntegrityError:
            # Someone created some of the same contacts or companies meanwhile: once more.
            for row in chunk:
                if row.outcome != REJECTED or row.reject and row.reject[0] == "owner":
                    row.outcome, row.reject = "", None
            if attempt:
                raise
    for row in chunk:
        result.total += 1
        if row.outcome == CREATED:
            result.created += 1
        elif row.outcome == UPDATED:
            result.updated += 1
        elif row.outcome == UNCHANGED:
            result.unchanged += 1
        else:
            result.rejected += 1
            column, why = row.reject
            if len(result.rejected_rows) < REJECTED_KEPT:
                result.rejected_rows.append([row.line, column, why])
            if rejected_writer is not None:
                rejected_writer.writerow([row.line, column, why, *row.cells])


# --- import jobs (browser uploads) ------------------------------------------------------------


def import_job_create(*, by, upload, filename: str) -> tuple[ImportJob, CsvInfo]:
    """Store an uploaded CSV as a pending job, after checking it is a usable CSV file."""
    if not filename.lower().endswith((".csv", ".txt", ".tsv")):
        raise DomainError("Upload a .csv file (comma, semicolon or tab separated).", field="file")
    job = ImportJob(created_by=by, original_filename=filename[:255])
    job.file.save(Path(filename).name, upload, save=False)
    try:
        info = csv_inspect(path=Path(job.file.path))
    except DomainError:
        job.file.delete(save=False)
        raise
    job.total_rows = info.total_rows
    job.save()
    return job, info


def import_job_start(*, job: ImportJob, mapping: dict[str, str], stage: str) -> ImportJob:
    """Save the mapping and run the job: inline when small, else queued for a Celery worker."""
    from leads import tasks

    if job.status != ImportStatus.PENDING:
        raise DomainError("This import has already been started.", field="status")
    if stage not in INITIAL_STAGES:
        raise DomainError(
            f"New contacts start in {' or '.join(INITIAL_STAGES)}, not {stage!r}.", field="stage"
        )
    info = csv_inspect(path=Path(job.file.path), preview_rows=0)
    job.mapping = mapping_validate(mapping=mapping, headers=info.headers)
    job.options = {"stage": stage}
    job.total_rows = info.total_rows
    job.save(update_fields=["mapping", "options", "total_rows", "updated_at"])
    if info.total_rows <= INLINE_MAX_ROWS:
        import_job_run(job_id=job.pk)
        job.refresh_from_db()
    else:
        transaction.on_commit(lambda: tasks.contacts_import_task.delay(job.pk))
    return job


def import_job_run(*, job_id: int, now: datetime | None = None) -> bool:
    """Run a pending job; False if another run claimed it first (safe to call twice)."""
    now = now or timezone.now()
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.PENDING).update(
        status=ImportStatus.RUNNING, started_at=now, updated_at=now
    )
    if claimed != 1:
        return False
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    running = ImportJob.objects.filter(pk=job_id, status=ImportStatus.RUNNING)
    rejected_name = f"{Path(job.file.name).stem}-rejected.csv"
    job.rejected_file.save(rejected_name, ContentFile(b""), save=False)

    def progress(result: ContactImportResult) -> None:
        running.update(**_counts(result), updated_at=timezone.now())

    try:
        result = contacts_import(
            path=Path(job.file.path),
            mapping=job.mapping,
            by=job.created_by,
            stage=job.options.get("stage", LifecycleStage.LEAD),
            reason=f"Imported from {job.original_filename}",
            rejected_path=Path(job.rejected_file.path),
            progress=progress,
            now=now,
        )
    except DomainError as exc:
        running.update(status=ImportStatus.FAILED, error=exc.message, finished_at=timezone.now())
        return True
    except Exception as exc:
        running.update(
            status=ImportStatus.FAILED,
            error=f"The import stopped with an unexpected error: {exc.__class__.__name__}.",
            finished_at=timezone.now(),
        )
        raise
    running.update(
        status=ImportStatus.DONE,
        rejected_rows=result.rejected_rows,
        rejected_file=job.rejected_file.name,
        finished_at=timezone.now(),
        updated_at=timezone.now(),
        **_counts(result),
    )
    return True


def _counts(result: ContactImportResult) -> dict:
    return {
        "processed_rows": result.total,
        "created_count": result.created,
        "updated_count": result.updated,
        "unchanged_count": result.unchanged,
        "rejected_count": result.rejected,
    }


# --- reads ------------------------------------------------------------------------------------


def import_jobs_for_user(*, user) -> QuerySet[ImportJob]:
    """The user's own import jobs; an admin sees everybody's. Nothing without the permission."""
    jobs = ImportJob.objects.select_related("created_by")
    if not user.is_authenticated or not user.has_perm("leads.import_contacts"):
        return jobs.none()
    if is_admin(user):
        return jobs
    return jobs.filter(Q(created_by=user))


def import_job_get_for_user(*, user, pk) -> ImportJob:
    """One import job, or 404 when it does not exist or is not the user's."""
    try:
        return import_jobs_for_user(user=user).get(pk=pk)
    except (ImportJob.DoesNotExist, ValueError, TypeError):
        raise Http404("No such import") from None
