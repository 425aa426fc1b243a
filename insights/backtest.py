"""Backtest a scoring model's draft: score it as of each past decision and compare.

Each decided MQL of the model in the last `days` days is scored under the draft **as of its
decision time** — its events up to that moment, windows and decay anchored there — with the
contact's and company's fields **as they are now** (history of those fields is not kept). Each
contact that was never an MQL and had activity in the period is scored as of its **latest event
in the period** (the moment its engagement counted the most recent activity): that is the one
moment we look at for them, so "new" is an estimate.

Set-based: the (contact, moment) pairs are written by two `INSERT … SELECT` statements into
`BacktestAnchor`, then scored by the scoring engine's anchored scope (`scoring.engine.Scope`
with `anchors=`): one statement per chunk of anchors, writing the draft's verdict onto them with
one `UPDATE … FROM`. The report is a grouped count over the anchors and a few `LIMIT` queries for
examples. Runs in a Celery task (insights.backtest_tasks) with progress on the Backtest row.

* kept: accepted and still an MQL under the draft;
* avoided: rejected (and not won since) and no longer an MQL;
* missed: accepted, or won since, and no longer an MQL;
* rejected, still sent: rejected and still an MQL under the draft;
* new: never an MQL, MQL-eligible under the draft at its latest activity.

"Won": as in the funnel metrics, the contact has a won deal created once the MQL had opened and
before the contact's next MQL opened (insights.metrics.funnel.won_deal_after_opening).
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone

from core.exceptions import DomainError
from feedback.models import Decision
from handoff.models import Mql
from insights.metrics.funnel import won_deal_after_opening
from insights.models import AnchorKind, Backtest, BacktestAnchor, BacktestStatus, Deal
from leads.models import ActivityEvent, Company, Contact
from scoring.engine import Scope, scoring_query
from scoring.engine.run import SESSION_SETTINGS
from scoring.models import ScoringModel
from scoring.selectors import shadowing_segments
from scoring.spec import ModelSpec, spec_from_draft

CALIBRATE = "scoring.change_scoringmodel"  # marketing and admins: those who edit the models
MAX_DAYS = 730
CHUNK = 5_000  # anchors scored per statement
EXAMPLES = 5
CATEGORIES = {
    "kept": "Kept: accepted and still an MQL under the draft",
    "avoided": "Avoided: rejected and no longer an MQL",
    "missed": "Missed: accepted or won, and no longer an MQL",
    "still_rejected": "Rejected, still an MQL under the draft",
    "new": "New: never an MQL, would have been",
}


# --- reads --------------------------------------------------------------------------------------


def backtests_for_user(*, user):
    if not user.is_authenticated or not user.has_perm(CALIBRATE):
        return Backtest.objects.none()
    return Backtest.objects.select_related("scoring_model", "started_by")


def backtest_get_for_user(*, user, pk) -> Backtest:
    """One backtest, or 404 when it does not exist or the user may not calibrate models."""
    try:
        return backtests_for_user(user=user).get(pk=pk)
    except (Backtest.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such backtest") from None


def latest_backtests(*, model: ScoringModel, limit: int = 5) -> list[Backtest]:
    return list(Backtest.objects.filter(scoring_model=model).order_by("-created_at", "-id")[:limit])


# --- writes -------------------------------------------------------------------------------------


def backtest_start(
    *,
    model: ScoringModel,
    by,
    days: int,
    include_new: bool = True,
    now: datetime | None = None,
) -> Backtest:
    """Freeze the draft and queue its backtest over the decisions of the last `days` days.
    Raises DomainError naming the field (`days`, or the draft's field that does not validate)."""
    from insights import backtest_tasks  # the task module imports this one

    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise DomainError(f"Enter a whole number of days from 1 to {MAX_DAYS}.", field="days")
    spec = spec_from_draft(model)
    now = now or timezone.now()
    with transaction.atomic():
        backtest = Backtest.objects.create(
            scoring_model=model,
            definition=spec.to_dict(),
            days=days,
            as_of=now,
            include_new=bool(include_new),
            started_by=by if getattr(by, "is_authenticated", False) else None,
            created_at=now,
        )
        transaction.on_commit(lambda: backtest_tasks.backtest_run_task.delay(backtest.pk))
    return backtest


def backtest_run(*, backtest_id: int) -> bool:
    """Run a queued backtest to the end. Claimed with a conditional UPDATE: a second delivery
    of the task does nothing while the first one shows signs of life; a running backtest whose
    worker died (no progress for STALLED_WORK_AFTER_SECONDS) is claimed again by the message
    the broker hands out again, and starts over. Progress (anchors done) is committed after each
    chunk; a failure is recorded and raised."""
    now = timezone.now()
    stalled = now - timedelta(seconds=settings.STALLED_WORK_AFTER_SECONDS)
    claimed = (
        Backtest.objects.filter(pk=backtest_id)
        .filter(
            Q(status=BacktestStatus.QUEUED)
            | Q(status=BacktestStatus.RUNNING, heartbeat_at__lt=stalled)
        )
        .update(status=BacktestStatus.RUNNING, started_at=now, heartbeat_at=now, anchors_done=0)
    )
    if claimed != 1:
        return False
    backtest = Backtest.objects.select_related("scoring_model").get(pk=backtest_id)
    try:
        BacktestAnchor.objects.filter(backtest=backtest).delete()  # a dead run's, if any
        total = _anchors_insert(backtest)
        Backtest.objects.filter(pk=backtest.pk).update(anchors_total=total)
        spec = ModelSpec.from_dict(backtest.definition)
        shadowed_by = shadowing_segments(model=backtest.scoring_model)
        for lo, hi in _anchor_chunks(backtest):
            with transaction.atomic():
                done = _anchors_score(backtest, spec, shadowed_by, lo, hi)
                Backtest.objects.filter(pk=backtest.pk).update(
                    anchors_done=F("anchors_done") + done, heartbeat_at=timezone.now()
                )
        result = backtest_report(backtest=backtest)
        with transaction.atomic():
            Backtest.objects.filter(pk=backtest.pk).update(
                status=BacktestStatus.DONE,
                result=result,
                anchors_done=F("anchors_total"),
                finished_at=timezone.now(),
            )
            # The report (counts, rates, examples) is kept on the backtest; its anchors, one
            # row per decision and candidate, are not needed any more.
            BacktestAnchor.objects.filter(backtest=backtest).delete()
    except Exception as exc:
        Backtest.objects.filter(pk=backtest.pk).update(
            status=BacktestStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=timezone.now(),
        )
        raise
    return True


def _tables() -> dict[str, str]:
    return {
        "anchor": BacktestAnchor._meta.db_table,
        "decision": Decision._meta.db_table,
        "mql": Mql._meta.db_table,
        "deal": Deal._meta.db_table,
        "event": ActivityEvent._meta.db_table,
        "contact": Contact._meta.db_table,
        "company": Company._meta.db_table,
    }


def _anchors_insert(backtest: Backtest) -> int:
    """The (contact, moment) pairs to score: two INSERT … SELECT statements, one transaction."""
    t = _tables()
    since = backtest.as_of - timedelta(days=backtest.days)
    adapt = connection.ops.adapt_datetimefield_value
    count = 0
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One inserter at a time: a backtest's anchors get consecutive ids, so its chunks
            # (id ranges) hold no other backtest's rows.
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('insights.backtest_anchors'))")
        decided, decided_params = _decided_sql(backtest, since)
        cursor.execute(
            f"INSERT INTO {t['anchor']} (backtest_id, contact_id, mql_id, as_of, kind, outcome,"
            " won, in_segment, eligible)"
            " SELECT %s, b.contact_id, b.id, b.decision_at, %s, b.outcome, b.won, %s, %s"
            f" FROM ({decided}) b"
            " ORDER BY b.contact_id, b.decision_at, b.decision_id",  # contact order: see Scope
            [backtest.pk, AnchorKind.MQL, False, False, *decided_params],
        )
        count += cursor.rowcount
        if backtest.include_new:
            cursor.execute(
                f"INSERT INTO {t['anchor']} (backtest_id, contact_id, mql_id, as_of, kind,"
                " outcome, won, in_segment, eligible)"
                " SELECT %s, e.contact_id, NULL, max(e.occurred_at), %s, '', %s, %s, %s"
                f" FROM {t['event']} e WHERE e.occurred_at > %s AND e.occurred_at <= %s"
                f" AND NOT EXISTS (SELECT 1 FROM {t['mql']} m WHERE m.contact_id = e.contact_id)"
                " GROUP BY e.contact_id ORDER BY e.contact_id",
                [
                    backtest.pk,
                    AnchorKind.CANDIDATE,
                    False,
                    False,
                    False,
                    adapt(since),
                    adapt(backtest.as_of),
                ],
            )
            count += cursor.rowcount
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {t['anchor']}")
    return count


def _decided_sql(backtest: Backtest, since: datetime) -> tuple[str, list]:
    """The model's MQLs decided in (since, as_of], with the decision's time, id and outcome and
    whether the MQL was won: the funnel metrics' own expression (insights.metrics.funnel)."""
    decided = (
        Mql.objects.filter(
            scoring_model_id=backtest.scoring_model_id,
            decision__decided_at__gt=since,
            decision__decided_at__lte=backtest.as_of,
        )
        .order_by()
        .values(
            "id",
            "contact_id",
            decision_at=F("decision__decided_at"),
            decision_id=F("decision__id"),
            outcome=F("decision__outcome"),
            won=won_deal_after_opening(),
        )
    )
    text, params = decided.query.sql_with_params()
    return text, list(params)


def _anchor_chunks(backtest: Backtest) -> list[tuple[int, int]]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT min(anchor_id), max(anchor_id) FROM {BacktestAnchor._meta.db_table}"
            " WHERE backtest_id = %s",
            [backtest.pk],
        )
        low, high = cursor.fetchone()
    if low is None:
        return []
    return [(lo, min(lo + CHUNK - 1, high)) for lo in range(low, high + 1, CHUNK)]


def _anchors_score(backtest: Backtest, spec: ModelSpec, shadowed_by, lo: int, hi: int) -> int:
    """Score one chunk of anchors under the draft, each as of its own moment, and write the
    verdict onto them: one UPDATE … FROM (the engine's anchored SELECT). Returns the anchors of
    this backtest in the chunk."""
    table = BacktestAnchor._meta.db_table
    scope = Scope(lo=lo, hi=hi, anchors=table)
    query = scoring_query(spec, now=backtest.as_of, scope=scope, shadowed_by=shadowed_by)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(SESSION_SETTINGS)
        cursor.execute(
            f"UPDATE {table} AS b SET in_segment = %s, eligible = s.mql_eligible, fit = s.fit,"
            f" engagement = s.engagement, total = s.total FROM ({query.text}) s"
            " WHERE b.anchor_id = s.anchor_id AND b.backtest_id = %s",
            [True, *query.params, backtest.pk],
        )
        cursor.execute(
            f"SELECT count(*) FROM {table} WHERE backtest_id = %s AND anchor_id BETWEEN %s AND %s",
            [backtest.pk, lo, hi],
        )
        return cursor.fetchone()[0]


# --- the report ---------------------------------------------------------------------------------


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _category_sql() -> dict[str, str]:
    """Each category as a condition on the anchor columns (alias b)."""
    return {
        "kept": "b.kind = 'mql' AND b.outcome = 'accept' AND b.eligible",
        "avoided": "b.kind = 'mql' AND b.outcome = 'reject' AND NOT b.won AND NOT b.eligible",
        "missed": "b.kind = 'mql' AND (b.outcome = 'accept' OR b.won) AND NOT b.eligible",
        "still_rejected": "b.kind = 'mql' AND b.outcome = 'reject' AND b.eligible",
        "new": "b.kind = 'candidate' AND b.eligible",
    }


def backtest_report(*, backtest: Backtest, examples: int = EXAMPLES) -> dict:
    """The counts, rates and examples of a scored backtest (a grouped count and a few LIMIT
    queries over its anchors)."""
    t = _tables()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT b.kind, b.outcome, b.won, b.eligible, count(*) FROM {t['anchor']} b"
            " WHERE b.backtest_id = %s GROUP BY 1, 2, 3, 4",
            [backtest.pk],
        )
        groups = cursor.fetchall()
        c = dict.fromkeys(
            ("decided", "accepted", "won", "draft_mqls", "draft_accepted", "draft_won"), 0
        )
        c.update(dict.fromkeys(CATEGORIES, 0))
        c["candidates"] = 0
        for kind, outcome, won, eligible, n in groups:
            won, eligible = bool(won), bool(eligible)
            if kind == AnchorKind.CANDIDATE:
                c["candidates"] += n
                c["new"] += n if eligible else 0
                continue
            accepted = outcome == "accept"
            c["decided"] += n
            c["accepted"] += n if accepted else 0
            c["won"] += n if won else 0
            if eligible:
                c["draft_mqls"] += n
                c["draft_accepted"] += n if accepted else 0
                c["draft_won"] += n if won else 0
                c["kept" if accepted else "still_rejected"] += n
            else:
                c["missed"] += n if (accepted or won) else 0
                c["avoided"] += n if (not accepted and not won) else 0
        found = {}
        for name, condition in _category_sql().items():
            cursor.execute(
                "SELECT b.contact_id, b.mql_id, b.as_of, b.total, b.outcome, b.won,"
                " c.email, c.first_name, c.last_name, co.name"
                f" FROM {t['anchor']} b JOIN {t['contact']} c ON c.id = b.contact_id"
                f" LEFT JOIN {t['company']} co ON co.id = c.company_id"
                f" WHERE b.backtest_id = %s AND {condition}"
                " ORDER BY b.total DESC NULLS LAST, b.anchor_id LIMIT %s",
                [backtest.pk, examples],
            )
            found[name] = [
                {
                    "contact_id": cid,
                    "mql_id": mql_id,
                    "as_of": as_of.isoformat() if hasattr(as_of, "isoformat") else str(as_of),
                    "draft_total": None if total is None else float(total),
                    "outcome": outcome,
                    "won": bool(won),
                    "name": f"{first} {last}".strip() or email,
                    "email": email,
                    "company": company or "",
                }
                for cid, mql_id, as_of, total, outcome, won, email, first, last, company in (
                    cursor.fetchall()
                )
            ]
    return {
        "counts": c,
        "rates": {
            "acceptance_actual": _rate(c["accepted"], c["decided"]),
            "acceptance_draft": _rate(c["draft_accepted"], c["draft_mqls"]),
            "won_actual": _rate(c["won"], c["decided"]),
            "won_draft": _rate(c["draft_won"], c["draft_mqls"]),
        },
        "examples": found,
    }
