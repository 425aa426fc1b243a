"""The rows of a generated history, chunk by chunk, from one random stream: each MQL's plan (what
happened to it, read from its contact's stage history), then its rows."""

import json
import math
import random
from dataclasses import dataclass, fields

from django.conf import settings
from django.db.models import Case, F, Min, Q, When

from feedback.models import Decision, Disposition, Outcome, RejectReason
from handoff.models import (
    AssignedBy,
    Assignment,
    Mql,
    MqlStatus,
    SlaClock,
    SlaKind,
    Team,
    Touch,
    TouchKind,
)
from handoff.services import calendar_for, clock_times, policy_for
from insights.generate.setup import Route, model_spec
from insights.generate.vocabulary import (
    DAY,
    DEAL_OPEN_DAYS,
    LOST_REASONS,
    PLANTED,
    PRODUCTS,
    REJECT_COMMENTS,
    REJECT_WEIGHTS,
    S,
)
from insights.generate.writing import (
    ASSIGNMENT_COLUMNS,
    CLOCK_COLUMNS,
    DEAL_COLUMNS,
    DECISION_COLUMNS,
    MQL_COLUMNS,
    TOUCH_COLUMNS,
    clean,
    contacts_update,
    epoch,
    moment,
    touch_campaigns_set,
)
from insights.models import Deal, DealStage
from leads.generate.writing import Clock, is_postgres, reserve_ids, write_rows
from leads.models import Contact, StageChange
from scoring.catalogue import FieldType
from scoring.reference import matches
from scoring.spec import ModelSpec


@dataclass
class HistoryResult:
    mqls: int = 0
    decisions: int = 0
    touches: int = 0
    clocks: int = 0
    breaches: int = 0
    deals: int = 0
    spend_rows: int = 0
    planted_title: int = 0
    planted_campaign: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"history: {self.mqls:,} MQLs, {self.decisions:,} decisions, {self.touches:,} touches,"
            f" {self.clocks:,} SLA clocks ({self.breaches:,} breached), {self.deals:,} deals,"
            f" {self.spend_rows:,} campaign spend rows; planted: {self.planted_title:,} titles,"
            f" {self.planted_campaign:,} campaign MQLs; {self.seconds:.1f} s"
        )

    def add(self, other: "HistoryResult") -> None:
        for f in fields(self):
            if f.name != "seconds":
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


class Builder:
    """Rows of the history, chunk by chunk, from one random stream."""

    def __init__(self, *, seed, now, version, routes, open_mqls, clocks, source):
        self.rng = random.Random(seed * 7919 + 104_729)
        self.clock = Clock(now)
        self.version = version
        self.spec: ModelSpec = model_spec(version)
        self.fit_rules = [
            (r.key, r.points, r.condition.fdef, r.condition.operator, r.condition.value)
            for r in self.spec.fit_rules
        ]
        self.routes = routes
        self.open_mqls = open_mqls
        self.with_clocks = clocks
        self.source = source
        self.currency = settings.LEADBRIDGE_CURRENCY
        reasons = dict(RejectReason.objects.filter(is_active=True).values_list("code", "pk"))
        if not reasons:
            raise ValueError("the history needs reject reasons")
        self.reasons = reasons
        weighted = [(code, w) for code, w in REJECT_WEIGHTS.items() if code in reasons]
        self.reject_codes = [c for c, _ in weighted] or list(reasons)
        self.reject_weights = [w for _, w in weighted] or [1] * len(reasons)
        self.teams = {t.pk: t for t in Team.objects.select_related("calendar")}
        self.policies: dict = {}
        self.calendars: dict = {}
        self.assigned: dict[tuple[int, int], int] = {}  # (team, rep): MQLs given
        self.clock_cache: dict[tuple, tuple[float, float]] = {}

    def text(self, ts: float | None) -> str | None:
        return None if ts is None else self.clock.text(self.clock.epoch - ts)

    def duration(self, seconds: float) -> str:
        return f"{int(seconds)} seconds" if is_postgres() else str(int(seconds) * 1_000_000)

    # --- reading the run -------------------------------------------------------------------

    def _stages(self, lo: int, hi: int, actor: str, start: int) -> dict[int, dict]:
        """Per contact of the chunk that entered `mql` since `start`: when it took each step."""

        def first(condition: Q):
            return Min(Case(When(condition, then=F("changed_at"))))

        left = Q(to_stage__in=[S.NURTURE, S.DISQUALIFIED])
        rows = (
            StageChange.objects.filter(contact_id__gte=lo, contact_id__lte=hi, actor_system=actor)
            .values("contact_id")
            .annotate(
                mql=first(Q(to_stage=S.MQL)),
                sql=first(Q(to_stage=S.SQL)),
                opportunity=first(Q(to_stage=S.OPPORTUNITY)),
                customer=first(Q(to_stage=S.CUSTOMER)),
                rejected=first(left & Q(from_stage=S.MQL)),
                rejected_to=Min(Case(When(left & Q(from_stage=S.MQL), then=F("to_stage")))),
            )
            .filter(mql__gte=moment(start))
            .order_by("contact_id")
        )
        return {
            r["contact_id"]: {
                k: (epoch(v) if k != "rejected_to" else v)
                for k, v in r.items()
                if k != "contact_id"
            }
            for r in rows
        }

    def _contacts(self, lo: int, hi: int) -> dict[int, dict]:
        names = (
            "pk",
            "first_name",
            "last_name",
            "email",
            "job_title",
            "seniority",
            "department",
            "country",
            "source",
            "campaign",
            "owner_id",
            "lifecycle_stage",
            "attributes",
            "company_id",
            "company__name",
            "company__industry",
            "company__employee_count",
            "company__annual_revenue",
            "company__country",
            "company__tags",
            "company__domain",
        )
        return {
            row["pk"]: row
            for row in Contact.objects.filter(pk__range=(lo, hi)).values(*names).order_by("pk")
        }

    # --- one chunk ---------------------------------------------------------------------------

    def chunk(self, *, lo: int, hi: int, actor: str, start: int) -> HistoryResult:
        result = HistoryResult()
        stages = self._stages(lo, hi, actor, start)
        if not stages:
            return result
        contacts = self._contacts(lo, hi)
        plans = []
        for contact_id, times in stages.items():
            contact = contacts.get(contact_id)
            plan = self._plan(contact, times) if contact else None
            if plan is not None:
                plans.append(plan)
        if not plans:
            return result
        mql_ids = reserve_ids(Mql, len(plans))
        rows: dict[str, list] = {k: [] for k in ("mql", "assign", "touch", "decision", "deal")}
        clocks: list[tuple] = []
        updates = []
        for mql_id, plan in zip(mql_ids, plans, strict=True):
            plan["id"] = mql_id
            self._rows(plan, rows, clocks)
            c = plan["contact"]
            updates.append(
                (
                    str(c["pk"]),
                    str(plan["owner"]),
                    c["job_title"],
                    c["seniority"],
                    c["department"],
                    c["source"],
                    c["campaign"],
                )
            )
            key = (plan["route"].team_id, plan["owner"])
            self.assigned[key] = self.assigned.get(key, 0) + 1
            result.planted_title += plan["planted"] == "title"
            result.planted_campaign += plan["planted"] == "campaign"
        contacts_update(updates)
        write_rows(Mql._meta.db_table, MQL_COLUMNS, rows["mql"])
        write_rows(Assignment._meta.db_table, ASSIGNMENT_COLUMNS, rows["assign"])
        write_rows(Touch._meta.db_table, TOUCH_COLUMNS, rows["touch"])
        write_rows(Decision._meta.db_table, DECISION_COLUMNS, rows["decision"])
        write_rows(Deal._meta.db_table, DEAL_COLUMNS, rows["deal"])
        result.breaches = self._clocks_write(clocks)
        touch_campaigns_set(mql_ids[0], mql_ids[-1])
        result.mqls = len(rows["mql"])
        result.touches = len(rows["touch"])
        result.decisions = len(rows["decision"])
        result.deals = len(rows["deal"])
        result.clocks = len(clocks)
        return result

    def _plan(self, contact: dict, t: dict) -> dict | None:
        """What happened to this contact's MQL, or None when it has no place in the history."""
        rng = self.rng
        qualified = t["mql"]
        if t["sql"] is not None and t["sql"] >= qualified:
            status, decided, disposition = MqlStatus.ACCEPTED, t["sql"], ""
        elif t["rejected"] is not None and t["rejected"] >= qualified:
            status, decided, disposition = MqlStatus.REJECTED, t["rejected"], t["rejected_to"]
        elif contact["lifecycle_stage"] == S.MQL and self.open_mqls:
            status, decided, disposition = MqlStatus.OPEN, None, ""
        else:
            return None
        won = t["customer"] is not None
        outcome = (
            "won"
            if won
            else {
                MqlStatus.ACCEPTED: "accepted",
                MqlStatus.REJECTED: "rejected",
                MqlStatus.OPEN: "open",
            }[status]
        )
        draw = rng.random()
        title_odds = PLANTED["title_odds"][outcome]
        planted = ""
        if draw < title_odds:
            planted = "title"
            contact.update(
                job_title=PLANTED["title"],
                seniority=PLANTED["title_seniority"],
                department=PLANTED["title_department"],
            )
        elif draw < title_odds + PLANTED["campaign_odds"][outcome]:
            planted = "campaign"
            contact.update(campaign=PLANTED["campaign"], source=PLANTED["campaign_channel"])
        route = self._route(contact)
        # Drawn whether or not it is used, so the rest of the stream does not depend on owners.
        owner = rng.choices([u for u, _ in route.reps], [w for _, w in route.reps])[0]
        how = AssignedBy.RULE if route.rule_id else AssignedBy.FALLBACK
        if contact["owner_id"] in {u for u, _ in route.reps}:
            owner, how = contact["owner_id"], AssignedBy.EXISTING_OWNER
        # Delivered within minutes, first touch within hours, decided when the stage moved on.
        end = decided if decided is not None else self.clock.epoch
        assigned = qualified + min(rng.uniform(5, 600), max(1, (end - qualified) * 0.1))
        gap = rng.lognormvariate(math.log(3 * 3600), 1.5)
        if decided is not None and assigned + gap > decided - 60:
            gap = rng.uniform(0.2, 0.9) * max(60, decided - assigned)
        first_touch = assigned + gap if assigned + gap < end else None
        touches = []
        if first_touch is not None:
            more = (rng.random() < 0.6) + (rng.random() < 0.3)
            more += status == MqlStatus.ACCEPTED and rng.random() < 0.5
            touches = [first_touch] + sorted(rng.uniform(first_touch, end) for _ in range(more))
        reason = ""
        if status == MqlStatus.REJECTED:
            if planted == "campaign" and rng.random() < PLANTED["campaign_not_icp_share"]:
                reason = PLANTED["campaign_reject_reason"]
            else:
                reason = rng.choices(self.reject_codes, self.reject_weights)[0]
            if reason not in self.reasons:
                reason = self.reject_codes[0]
        return {
            "contact": contact,
            "times": t,
            "status": status,
            "won": won,
            "qualified": qualified,
            "assigned": assigned,
            "first_touch": first_touch,
            "touches": touches,
            "decided": decided,
            "disposition": disposition,
            "reason": reason,
            "route": route,
            "owner": owner,
            "how": how,
            "planted": planted,
            "score": self._score(contact),
        }

    def _route(self, contact: dict) -> Route:
        country = (contact["company__country"] or "").upper()
        for route in self.routes:
            if route.countries is None or country in route.countries:
                return route
        return self.routes[-1]

    def _score(self, contact: dict) -> dict:
        """Fit from the model's fit rules on the contact as it is; engagement drawn."""
        rng = self.rng
        spec = self.spec
        breakdown = []
        fit = 0.0
        for key, points, fdef, operator, value in self.fit_rules:
            if _fires(fdef, operator, value, contact):
                fit += points
                breakdown.append({"rule": key, "points": points})
        engagement = 0.0
        fired = {}
        rules = list(spec.engagement_rules)
        for rule in rules:
            if rng.random() < 0.45:
                fired[rule.key] = _points(rng, rule)
        need = spec.engagement_min
        if fit < spec.fit_min and spec.total_min is not None:
            need = max(need, spec.total_min - fit)
        for rule in rules:  # enough to qualify, when the rules allow it
            if sum(fired.values()) >= need:
                break
            fired[rule.key] = rule.cap or rule.points
        for rule in rules:
            if rule.key in fired:
                engagement += fired[rule.key]
                breakdown.append({"rule": rule.key, "points": fired[rule.key]})
        return {
            "fit": fit,
            "engagement": engagement,
            "total": fit + engagement,
            "grade": spec.grade(fit),
            "breakdown": breakdown,
        }

    # --- rows ----------------------------------------------------------------------------------

    def _rows(self, plan: dict, rows: dict, clocks: list) -> None:
        rng = self.rng
        text = self.text
        c, score, route = plan["contact"], plan["score"], plan["route"]
        mql_id, owner = str(plan["id"]), str(plan["owner"])
        team = str(route.team_id)
        model_id, version_id = str(self.version.model_id), str(self.version.pk)
        breakdown = json.dumps(score["breakdown"])
        plan_clocks = self._plan_clocks(plan) if self.with_clocks else []
        running = [due for _kind, _start, _risk, due, stopped, _b in plan_clocks if stopped is None]
        rows["mql"].append(
            (
                mql_id,
                str(c["pk"]),
                plan["status"],
                text(plan["qualified"]),
                team,
                team,
                owner,
                text(plan["assigned"]),
                text(plan["first_touch"]),
                text(plan["decided"]),
                text(min(running)) if running else None,
                model_id,
                version_id,
                repr(score["fit"]),
                repr(score["engagement"]),
                repr(score["total"]),
                score["grade"],
                breakdown,
                clean(c["source"]),
                clean(c["campaign"]),
                "",  # touch_campaign: from the events, once the chunk is written
            )
        )
        for clock in plan_clocks:
            clocks.append((plan, *clock))
        rows["assign"].append(
            (
                mql_id,
                team,
                owner,
                None,
                plan["how"],
                str(route.rule_id) if route.rule_id else None,
                route.rule_name if plan["how"] == AssignedBy.RULE else "",
                None,
                text(plan["assigned"]),
                "",
            )
        )
        for i, at in enumerate(plan["touches"]):
            if i == 0:
                kind = rng.choices(TouchKind.values, (5, 4, 1))[0]
            else:
                kind = rng.choices(TouchKind.values, (4, 3, 3))[0]
            rows["touch"].append((mql_id, kind, "", owner, text(at)))
        if plan["status"] != MqlStatus.OPEN:
            accepted = plan["status"] == MqlStatus.ACCEPTED
            reason = plan["reason"]
            comment = "" if accepted else rng.choice(REJECT_COMMENTS.get(reason, [""]))
            rows["decision"].append(
                (
                    mql_id,
                    Outcome.ACCEPT if accepted else Outcome.REJECT,
                    None if accepted else str(self.reasons[reason]),
                    comment,
                    "" if accepted else (plan["disposition"] or Disposition.NURTURE),
                    owner,
                    text(plan["decided"]),
                    self.duration(plan["decided"] - plan["qualified"]),
                    team,
                    clean(c["source"]),
                    clean(c["campaign"]),
                    model_id,
                    version_id,
                    json.dumps([item["rule"] for item in score["breakdown"]]),
                    json.dumps(
                        {k: score[k] for k in ("fit", "engagement", "total", "grade")}
                        | {"breakdown": score["breakdown"]}
                    ),
                )
            )
        deal = self._deal(plan)
        if deal is not None:
            rows["deal"].append(deal)

    def _deal(self, plan: dict) -> tuple | None:
        rng = self.rng
        t, c = plan["times"], plan["contact"]
        opened = t["opportunity"]
        if opened is None or plan["status"] != MqlStatus.ACCEPTED:
            return None
        now = self.clock.epoch
        if t["customer"] is not None:
            stage, closed, lost = DealStage.WON, t["customer"], ""
        elif now - opened > DEAL_OPEN_DAYS * DAY:
            stage, lost = DealStage.LOST, rng.choice(LOST_REASONS)
            closed = min(now - 3600, opened + rng.uniform(20, DEAL_OPEN_DAYS) * DAY)
        else:
            stage, closed, lost = DealStage.OPEN, None, ""
        size = c["company__employee_count"] or 50
        amount = rng.lognormvariate(math.log(12_000), 0.6) * (1 + min(3.0, size / 2000))
        who = c["company__name"] or f"{c['first_name']} {c['last_name']}"
        name = clean(f"{who} – {rng.choice(PRODUCTS)}")[:200]
        stamp = self.text(now)
        return (
            str(c["pk"]),
            str(c["company_id"]) if c["company_id"] else None,
            name,
            f"{round(amount, -2):.2f}",
            self.currency,
            stage,
            self.text(opened),
            self.text(closed),
            lost,
            self.source,
            f"hist-{c['pk']}",
            stamp,
            stamp,
        )

    # --- SLA clocks ----------------------------------------------------------------------------

    def _plan_clocks(self, plan: dict) -> list[tuple]:
        """(kind, started, at_risk, due, stopped, breached) of each clock, as epoch seconds: the
        delivery clock from qualification to assignment, first touch and decision from
        assignment; one that ran out before it stopped is breached at its due time (and
        stopped later all the same, when its step was done)."""
        team_id = plan["route"].team_id
        key = (team_id, self.version.model_id)
        if key not in self.policies:
            self.policies[key] = policy_for(team_id=team_id, scoring_model_id=key[1])
        if team_id not in self.calendars:
            self.calendars[team_id] = calendar_for(self.teams.get(team_id))
        policy, calendar = self.policies[key], self.calendars[team_id]
        now = self.clock.epoch
        out = []
        for kind, start, stop in (
            (SlaKind.DELIVERY, plan["qualified"], plan["assigned"]),
            (SlaKind.FIRST_TOUCH, plan["assigned"], plan["first_touch"] or plan["decided"]),
            (SlaKind.DECISION, plan["assigned"], plan["decided"]),
        ):
            risk, due = self._clock_times(team_id, kind, policy, calendar, start)
            if stop is not None and stop <= due:
                out.append((kind, start, risk, due, stop, None))
            elif due <= now:
                breached = min(now, due + self.rng.uniform(0, 300))  # the scan's minute
                out.append((kind, start, risk, due, stop, breached))
            else:
                out.append((kind, start, risk, due, None, None))
        return out

    def _clock_times(self, team_id, kind, policy, calendar, start: float) -> tuple[float, float]:
        """At-risk and due times of a clock started at `start`: computed on the team's policy
        and calendar for the start's hour (once per team, kind and hour) and shifted by the
        time past it, so exact for wall-clock targets and within the hour for business-time
        ones; the business-time arithmetic per clock would dominate a large history."""
        hour = int(start) - int(start) % 3600
        key = (team_id, kind, hour)
        offsets = self.clock_cache.get(key)
        if offsets is None:
            risk, due = clock_times(policy=policy, kind=kind, start=moment(hour), calendar=calendar)
            offsets = self.clock_cache[key] = (risk.timestamp() - hour, due.timestamp() - hour)
        return start + offsets[0], start + offsets[1]

    def _clocks_write(self, clocks: list) -> int:
        if not clocks:
            return 0
        ids = reserve_ids(SlaClock, len(clocks))
        text = self.text
        clock_rows, breaches = [], 0
        policy_of = {key[0]: p.pk for key, p in self.policies.items()}
        for pk, (plan, kind, start, risk, due, stopped, breached) in zip(ids, clocks, strict=True):
            team, owner = str(plan["route"].team_id), str(plan["owner"])
            clock_rows.append(
                (
                    str(pk),
                    str(plan["id"]),
                    kind,
                    str(policy_of[plan["route"].team_id]),
                    text(start),
                    text(risk),
                    text(due),
                    text(stopped),
                    text(breached),
                    team if breached is not None else None,
                    owner if breached is not None else None,
                )
            )
            breaches += breached is not None
        write_rows(SlaClock._meta.db_table, CLOCK_COLUMNS, clock_rows)
        return breaches


def _points(rng: random.Random, rule) -> int:
    if rule.cap:
        return min(rule.cap, rule.points * rng.randint(1, max(1, rule.cap // rule.points)))
    return rule.points


def _fires(fdef, operator: str, value, contact: dict) -> bool:
    """Does a fit condition hold for the contact (a row of _contacts)? As the engine reads it."""
    if fdef.attribute_key:
        raw = (contact["attributes"] or {}).get(fdef.attribute_key)
    elif fdef.table == "company":
        raw = contact.get(f"company__{fdef.column}")
    else:
        raw = contact.get(fdef.column)
    if fdef.type == FieldType.NUMBER:
        actual = None if raw is None else float(raw)
    elif fdef.type == FieldType.LIST:
        actual = [str(v).lower() for v in raw] if isinstance(raw, list) else []
    else:
        actual = "" if raw is None else str(raw).lower()
    return matches(operator, value, actual)
