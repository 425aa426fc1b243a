"""Synthetic companies, contacts, stage history and activity events, written through the bulk path.

Used by `manage.py seed_demo` (a small, fixed data set) and `manage.py generate_data` (benchmark
volumes). Rows are built as tuples of strings in chunks and written with COPY on PostgreSQL and
executemany (one prepared INSERT per chunk) on SQLite, so memory stays flat whatever the volume.

The shape of the data:
- contacts are spread over the lifecycle stages (most are leads); each has the history rows of
  the way it went through the funnel to its stage, every move one the policy allows; steps up
  to MQL happen any time in the contact's life (over the last `stage_days` days), the steps
  after it at a realistic pace (sales decide within days, deals close within months);
- about 30% of contacts have no events; the rest get events with a heavy (Pareto) skew, later
  stages more active; events are more frequent the more recent, over the last `days` days;
- page views carry a url (pricing pages among them), emails a campaign, downloads an asset.

Generated values never contain a tab, newline or backslash, so they go into COPY's text format
as they are.
"""

import json
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from core.db import analyze
from leads import hooks
from leads.generate.vocabulary import (
    AFTER_MQL_GAP_DAYS,
    AFTER_SQL_GAP_DAYS,
    CAMPAIGNS,
    COMPANY_SUFFIXES,
    COMPANY_WORDS,
    COUNTRIES,
    COUNTRY_WEIGHTS,
    FIRST_NAMES,
    INDUSTRIES,
    JOB_TITLES,
    LAST_NAMES,
    LEGAL_FORMS,
    OPEN_MQL_DAYS,
    OWNED_STAGES,
    PARETO_ALPHA,
    PARETO_CAP,
    SILENT_SHARE,
    SOURCE_WEIGHTS,
    SOURCES,
    STAGE_ACTIVITY,
    STAGE_GAP_DAYS,
    STAGE_PATHS,
    STAGE_REASONS,
    STAGE_WEIGHTS,
    TECH_TAGS,
    TLDS,
    event_catalogue,
)
from leads.generate.writing import (
    Clock,
    event_indexes_dropped,
    is_postgres,
    reserve_ids,
    write_rows,
)
from leads.models import ActivityEvent, Company, Contact, LifecycleStage, StageChange

__all__ = ["GenerateResult", "data_generate", "data_history", "event_indexes_dropped"]


@dataclass
class GenerateResult:
    companies: int = 0
    contacts: int = 0
    stage_changes: int = 0
    events: int = 0
    seconds: float = 0.0
    run: str = ""
    history: list[str] = field(default_factory=list)  # what the data_generated receivers wrote
    # The run, for data_history: its contacts' id range, the actor of its stage history.
    contact_id_min: int | None = None
    contact_id_max: int | None = None
    actor: str = ""
    seed: int = 0
    now: datetime | None = None

    @property
    def rows(self) -> int:
        return self.companies + self.contacts + self.stage_changes + self.events


_COMPANY_COLUMNS = (
    "id",
    "name",
    "domain",
    "industry",
    "employee_count",
    "annual_revenue",
    "country",
    "tags",
    "created_at",
    "updated_at",
)
_CONTACT_COLUMNS = (
    "id",
    "email",
    "first_name",
    "last_name",
    "job_title",
    "seniority",
    "department",
    "phone",
    "country",
    "source",
    "campaign",
    "company_id",
    "owner_id",
    "lifecycle_stage",
    "stage_entered_at",
    "attributes",
    "created_at",
    "updated_at",
)
_STAGE_COLUMNS = (
    "contact_id",
    "from_stage",
    "to_stage",
    "changed_at",
    "actor_system",
    "reason",
    "override",
)
_EVENT_COLUMNS = (
    "contact_id",
    "event_type",
    "properties",
    "occurred_at",
    "source",
    "external_id",
    "received_at",
)


def _companies(rng: random.Random, count: int, run: str, clock: Clock) -> list[tuple]:
    """Company rows with unique names and domains (the run tag keeps domains unique per run)."""
    rows = []
    seen: set[str] = set()
    now = clock.text(0)
    n = 0
    while len(rows) < count:
        n += 1
        name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_SUFFIXES)}"
        if name in seen or n > 2 * len(COMPANY_WORDS) * len(COMPANY_SUFFIXES):
            name = f"{name} {n}"
        seen.add(name)
        slug = name.lower().replace(" ", "-")
        domain = f"{slug}{'-' + run if run else ''}.{rng.choice(TLDS)}"
        employees = int(min(200_000, 5 * rng.paretovariate(0.9)))
        revenue = employees * rng.randint(60, 400) * 1000
        tags = rng.sample(TECH_TAGS, rng.randint(1, 5))
        rows.append(
            (
                None,  # id, filled by the caller
                f"{name} {rng.choice(LEGAL_FORMS)}",
                domain,
                rng.choice(INDUSTRIES),
                str(employees),
                f"{revenue}.00",
                rng.choices(COUNTRIES, COUNTRY_WEIGHTS)[0],
                json.dumps(tags),
                now,
                now,
            )
        )
    return rows


def data_generate(
    *,
    contacts: int,
    events: int,
    companies: int | None = None,
    days: int = 365,
    seed: int = 0,
    run: str | None = None,
    owner_ids: Sequence[int] = (),
    actor: str = "generate_data",
    now: datetime | None = None,
    chunk_contacts: int = 10_000,
    progress: Callable[[GenerateResult], None] | None = None,
    stage_days: int | None = None,
) -> GenerateResult:
    """Write `contacts` contacts (with their stage history), `events` events and `companies`
    companies (default: one per 20 contacts, at least one). Deterministic for a given seed,
    apart from the run tag that keeps emails, domains and event ids unique across runs.

    Contacts past MQL are owned by one of `owner_ids` (when given). Each chunk of contacts is
    committed with its events, so a huge run keeps memory and lock queues small. Stage histories
    go back `stage_days` days (default: `days`). data_history() then asks the apps above for
    the history that goes with the run.
    """
    if contacts < 0 or events < 0 or (companies is not None and companies < 0):
        raise ValueError("counts must not be negative")
    if events and not contacts:
        raise ValueError("events need contacts")
    started = time.perf_counter()
    rng = random.Random(seed)
    run = f"r{int(time.time() * 1000):x}" if run is None else run
    clock = Clock(now or timezone.now())
    result = GenerateResult(run=run)
    companies = max(1, contacts // 20) if companies is None else companies

    company_rows = _companies(rng, companies, run, clock)
    company_ids: list[int] = []
    with transaction.atomic():
        company_ids = reserve_ids(Company, len(company_rows))
        company_rows = [
            (str(pk), *row[1:]) for pk, row in zip(company_ids, company_rows, strict=True)
        ]
        write_rows(Company._meta.db_table, _COMPANY_COLUMNS, company_rows)
    result.companies = len(company_rows)
    domains = [row[2] for row in company_rows]
    countries = [row[6] for row in company_rows]
    del company_rows

    stages = list(STAGE_WEIGHTS)
    stage_weights = list(STAGE_WEIGHTS.values())
    types, type_weights, type_details = event_catalogue()
    owners = [str(pk) for pk in owner_ids]
    # Owners from a stream of their own: the data is the same whether reps exist or not.
    owner_rng = random.Random(seed * 7 + 1)
    window = days * 86400
    stage_window = (stage_days or days) * 86400
    first_id = last_id = None
    # Each chunk of contacts gets its exact share of the events (the totals add up to `events`).
    done_contacts = 0
    done_events = 0
    while done_contacts < contacts:
        size = min(chunk_contacts, contacts - done_contacts)
        chunk_events = events * (done_contacts + size) // contacts - done_events
        with transaction.atomic():
            ids = reserve_ids(Contact, size)
            first_id = ids[0] if first_id is None else first_id
            last_id = ids[-1]
            contact_rows, stage_rows, weights = [], [], []
            for i, pk in enumerate(ids):
                n = done_contacts + i
                stage = rng.choices(stages, stage_weights)[0]
                path = rng.choice(STAGE_PATHS[stage])
                age = rng.uniform(max(1, len(path)) * 3600, stage_window + 30 * 86400)
                at = [clock.text(m) for m in _path_moments(rng, path, age)]
                for step, to_stage in enumerate(path):
                    stage_rows.append(
                        (
                            str(pk),
                            path[step - 1] if step else "",
                            to_stage,
                            at[step],
                            actor,
                            STAGE_REASONS[to_stage],
                            "false" if is_postgres() else "0",
                        )
                    )
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                company = rng.randrange(len(company_ids)) if company_ids else None
                title, seniority, department = rng.choice(JOB_TITLES)
                local = f"{first}.{last}".lower().replace("'", "")
                domain = domains[company] if company is not None else f"mail-{run}.example"
                contact_rows.append(
                    (
                        str(pk),
                        f"{local}.{run}{n}@{domain}" if run else f"{local}.{n}@{domain}",
                        first,
                        last,
                        title,
                        seniority,
                        department,
                        f"+1 555 {rng.randrange(10**7):07d}",
                        countries[company] if company is not None else "US",
                        rng.choices(SOURCES, SOURCE_WEIGHTS)[0],
                        rng.choice(CAMPAIGNS),
                        str(company_ids[company]) if company is not None else None,
                        owner_rng.choice(owners) if owners and stage in OWNED_STAGES else None,
                        stage,
                        at[-1],
                        "{}",
                        at[0],
                        at[-1],
                    )
                )
                silent = rng.random() < SILENT_SHARE
                weights.append(
                    0.0
                    if silent
                    else min(rng.paretovariate(PARETO_ALPHA), PARETO_CAP) * STAGE_ACTIVITY[stage]
                )
            write_rows(Contact._meta.db_table, _CONTACT_COLUMNS, contact_rows)
            write_rows(StageChange._meta.db_table, _STAGE_COLUMNS, stage_rows)
            result.contacts += len(contact_rows)
            result.stage_changes += len(stage_rows)
            del contact_rows, stage_rows
            for batch in _events(
                rng,
                ids,
                weights,
                chunk_events,
                start=done_events,
                run=run or actor,
                clock=clock,
                window=window,
                types=types,
                type_weights=type_weights,
                type_details=type_details,
            ):
                write_rows(ActivityEvent._meta.db_table, _EVENT_COLUMNS, batch)
                result.events += len(batch)
        done_contacts += size
        done_events += chunk_events
        result.seconds = time.perf_counter() - started
        if progress:
            progress(result)
    # Statistics for the planner before anything scores these rows (autovacuum may be off).
    analyze(Company, Contact, StageChange, ActivityEvent)
    result.seconds = time.perf_counter() - started
    result.contact_id_min, result.contact_id_max = first_id, last_id
    result.actor, result.seed, result.now = actor, seed, clock.now
    return result


def data_history(
    *, result: GenerateResult, history_days: int, log: Callable[[str], None] | None = None
) -> list[str]:
    """The history of a committed run, from the apps above (leads.hooks.data_generated): MQLs
    opened over the last `history_days` days, sales' decisions, touches, deals, campaign spend.
    Call it once the events' indexes are back: the receivers read events. Returns what the
    receivers report (also kept in result.history)."""
    if result.contact_id_min is None:
        return []
    summaries = hooks.data_generated(
        contact_id_min=result.contact_id_min,
        contact_id_max=result.contact_id_max,
        actor=result.actor,
        run=result.run,
        seed=result.seed,
        now=result.now,
        history_days=history_days,
        log=log or (lambda line: None),
    )
    result.history = [s for s in summaries if s]
    return result.history


def _gap(rng: random.Random, step: str, before: str) -> float:
    """Seconds between the step before and `step`, for the steps past MQL."""
    if step in STAGE_GAP_DAYS:
        low, high = STAGE_GAP_DAYS[step]
    elif before == LifecycleStage.MQL:
        low, high = AFTER_MQL_GAP_DAYS
    else:
        low, high = AFTER_SQL_GAP_DAYS
    return rng.uniform(low, high) * 86400


def _path_moments(rng: random.Random, path: list[str], age: float) -> list[float]:
    """Seconds ago of each step of `path` for a contact created `age` seconds ago: the steps up
    to MQL anywhere in its life, the steps past MQL each a realistic gap after the one before
    (squeezed to fit when the contact is young)."""
    free = path.index(LifecycleStage.MQL) + 1 if LifecycleStage.MQL in path else len(path)
    gaps = [_gap(rng, path[i], path[i - 1]) for i in range(free, len(path))]
    tail = sum(gaps)
    if tail > 0.8 * age:
        gaps = [g * 0.8 * age / tail for g in gaps]
        tail = 0.8 * age
    moments = [age] + sorted((rng.uniform(tail, age) for _ in path[1:free]), reverse=True)
    for g in gaps:
        moments.append(moments[-1] - g)
    if len(path) > 1 and path[-1] == LifecycleStage.MQL:  # still waiting for sales: recent
        moments[-1] = min(moments[-1], rng.uniform(0, OPEN_MQL_DAYS * 86400))
    return moments


def _events(
    rng: random.Random,
    ids: list[int],
    weights: list[float],
    count: int,
    *,
    start: int,
    run: str,
    clock: Clock,
    window: int,
    types: list[str],
    type_weights: list[float],
    type_details: dict,
    batch: int = 50_000,
) -> Iterator[list[tuple]]:
    """`count` event rows for the contacts, in batches; contact picked by weight, time skewed
    towards now (age = window * u**2)."""
    if count <= 0:
        return
    if not any(weights):  # everyone silent in this chunk: the events go to someone anyway
        weights = [1.0] * len(ids)
    received = clock.text(0)
    keys = [str(pk) for pk in ids]
    text = clock.text
    rand = rng.random
    ext_prefix = f"{run}-"
    made = 0
    while made < count:
        size = min(batch, count - made)
        who = rng.choices(keys, weights, k=size)
        what = rng.choices(types, type_weights, k=size)
        rows = []
        for i in range(size):
            event_type = what[i]
            source, props = type_details[event_type]
            u = rand()
            rows.append(
                (
                    who[i],
                    event_type,
                    props[int(rand() * len(props))],
                    text(window * u * u),
                    source,
                    f"{ext_prefix}{start + made + i}",
                    received,
                )
            )
        made += size
        yield rows
