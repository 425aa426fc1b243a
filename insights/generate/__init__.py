"""A generated history: what marketing and sales did with the contacts that generate_data (or the
demo) wrote, so the funnel, the dashboards and the calibration have something to show.

For every contact of a run whose stage history entered `mql` within the last `history_days`
days, an MQL opened at that moment (handoff.Mql, with its routed team and owner, attribution,
score and breakdown under a scoring model's version), its assignment, the reps' touches, its SLA
clocks (and breaches where the rep was late), sales' decision at the moment the stage history
left `mql` (feedback.Decision: accepted when it went on to `sql`, rejected with a reason when it
went to `nurture` or `disqualified`), and a deal for each contact that reached `opportunity`
(insights.Deal: won when it became a customer, lost when it has been open for two months,
otherwise open). Campaign spend (insights.CampaignSpend) is written per campaign, channel and
month from the leads the run's contacts bring. The stage history itself is leads' (the run
wrote it): this module reads it and never moves a stage.

Rows are built in Python in chunks of contacts and written with COPY on PostgreSQL (executemany
on SQLite), like leads.generate; each chunk commits on its own; the tables are analyzed at the
end. Deterministic for a seed and the same contacts.

What is planted (PLANTED; docs/demo-data.md): contacts with the job title "Head of Revenue
Operations" are accepted and win far more often than others (the history gives that title to
MQLs by their outcome, so the fit rule matching it, `job_title contains "revenue operations"`,
fires on MQLs that are mostly accepted); MQLs of the campaign "giveaway-sweepstakes" (channel
linkedin) are mostly rejected as "Not our ideal customer". Both are written into the contacts
(an UPDATE of their title or campaign and source), so every report reads them from the data.
Fit points are the model's fit rules evaluated on the contact as it is; engagement points are
drawn (within each rule's points and cap, enough to qualify) and do not depend on the outcome.
"""

import time
from collections.abc import Callable
from datetime import datetime

from django.db import connection, transaction
from django.db.models import F

from core.db import analyze
from feedback.models import Decision
from handoff.models import Assignment, Mql, SlaClock, TeamMember, Touch
from insights.generate.builder import Builder, HistoryResult
from insights.generate.setup import Route, generated_model_version, routes_ensure
from insights.generate.vocabulary import CHUNK, DAY, PLANTED
from insights.generate.writing import spend_write
from insights.models import CampaignSpend, Deal
from leads.models import Contact
from scoring.models import ModelVersion

__all__ = [
    "PLANTED",
    "HistoryResult",
    "history_generate",
    "history_generate_for_run",
    "planted_rule_key",
]


def history_generate_for_run(
    *,
    contact_id_min: int,
    contact_id_max: int,
    actor: str,
    run: str,
    seed: int,
    now: datetime,
    history_days: int,
    log: Callable[[str], None],
) -> str:
    """leads.hooks.data_generated: the history of a generate_data run, under the generated
    model and the database's sales teams (generated ones when it has none)."""
    with transaction.atomic():
        version = generated_model_version(now=now, history_days=history_days)
        routes = routes_ensure()
    result = history_generate(
        contact_id_min=contact_id_min,
        contact_id_max=contact_id_max,
        actor=actor,
        seed=seed,
        now=now,
        history_days=history_days,
        version=version,
        routes=routes,
        open_mqls=True,
        log=log,
    )
    return result.summary()


def planted_rule_key(version: ModelVersion) -> str | None:
    """The key of the fit rule that matches the planted title in a version, if it has one."""
    want = PLANTED["title_rule"]
    for rule in version.definition.get("fit_rules", []):
        if all(str(rule.get(k)).lower() == str(v).lower() for k, v in want.items()):
            return rule["key"]
    return None


def history_generate(
    *,
    contact_id_min: int,
    contact_id_max: int,
    actor: str,
    seed: int,
    now: datetime,
    history_days: int,
    version: ModelVersion,
    routes: list[Route],
    open_mqls: bool,
    clocks: bool = True,
    chunk: int = CHUNK,
    log: Callable[[str], None] | None = None,
) -> HistoryResult:
    """The history of the contacts with ids in [contact_id_min, contact_id_max] whose stage
    history (rows by `actor`) entered `mql` in the last `history_days` days. `open_mqls`: also
    open MQLs for the contacts still at `mql` (the demo leaves those to the handoff's own demo).
    """
    started = time.perf_counter()
    if not routes:
        raise ValueError("the history needs a sales team with reps")
    builder = Builder(
        seed=seed,
        now=now,
        version=version,
        routes=routes,
        open_mqls=open_mqls,
        clocks=clocks,
        source=actor,
    )
    start = builder.clock.epoch - history_days * DAY
    total = HistoryResult()
    lo = contact_id_min
    while lo <= contact_id_max:
        hi = min(contact_id_max, lo + chunk - 1)
        with transaction.atomic():
            _commit_without_waiting_for_disk()
            total.add(builder.chunk(lo=lo, hi=hi, actor=actor, start=start))
        lo = hi + 1
        total.seconds = time.perf_counter() - started
        if log:
            log(f"  history: contacts up to {hi:,}: {total.mqls:,} MQLs, {total.deals:,} deals")
    with transaction.atomic():
        # The round robin counts the history's MQLs, as if it had assigned them.
        for (team_id, user_id), n in sorted(builder.assigned.items()):
            TeamMember.objects.filter(team_id=team_id, user_id=user_id).update(
                assigned_total=F("assigned_total") + n
            )
        total.spend_rows = spend_write(
            clock=builder.clock, lo=contact_id_min, hi=contact_id_max, start=start, seed=seed
        )
        analyze(Mql, Assignment, Touch, SlaClock, Decision, Deal, CampaignSpend)
        analyze(Contact, TeamMember)
    total.seconds = time.perf_counter() - started
    return total


def _commit_without_waiting_for_disk() -> None:
    """PostgreSQL: this transaction's commit does not wait for its WAL to reach the disk (a crash
    could lose the last chunks written, never corrupt anything): a generator's chunk is large
    and cheap to write again."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
