"""Full rescores: which model scores whom, chunks that are safe to run twice, one run at a time."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from leads.models import StageChange
from scoring.engine import Scope
from scoring.models import (
    ContactScore,
    RescoreChunk,
    RescoreKind,
    RescoreRun,
    RescoreStatus,
    ScoreHistory,
)
from scoring.rescore import (
    plan_steps,
    rescore_begin,
    rescore_chunk_failed,
    rescore_chunk_run,
    rescore_start,
    scope_rescore,
)
from scoring.rescore import runs as runs_module
from scoring.services import model_create, model_publish, model_rollback, model_update
from tests.factories import (
    BASE,
    CMO,
    ActivityEventFactory,
    CompanyFactory,
    ContactFactory,
    RescoreRunFactory,
    published_model,
)
from tests.scoring.rescoring import BIG, full_rescore

pytestmark = pytest.mark.django_db


def scores_by_contact():
    return {
        cs.contact_id: cs.model.name
        for cs in ContactScore.objects.select_related("model").order_by("contact_id")
    }


def test_every_contact_is_scored_by_the_highest_priority_model_whose_segment_matches(
    marketer, django_capture_on_commit_callbacks
):
    enterprise = published_model(by=marketer, name="Enterprise", priority=10, segment=BIG)
    published_model(by=marketer, name="Default", priority=0)
    published_model(by=marketer, name="Zeta", priority=0)  # same priority: loses on name
    off = published_model(by=marketer, name="Off", priority=99)
    model_update(model=off, data={"is_active": False})
    model_create(data={**BASE, "name": "Draft only", "priority": 50}, by=marketer)
    big = ContactFactory(company=CompanyFactory(employee_count=1000), job_title="CMO")
    small = ContactFactory(company=CompanyFactory(employee_count=10))
    nobody = ContactFactory(company=None)

    run = full_rescore(django_capture_on_commit_callbacks, by=marketer)

    assert run.status == RescoreStatus.DONE and run.kind == RescoreKind.FULL
    assert scores_by_contact() == {big.pk: "Enterprise", small.pk: "Default", nobody.pk: "Default"}
    assert ContactScore.objects.get(contact=big).model_version.model == enterprise
    assert ContactScore.objects.get(contact=big).fit == 25
    assert (run.contacts_scored, run.scores_changed, run.chunks_done) == (3, 3, run.chunks_total)


def test_a_contact_that_leaves_a_segment_loses_that_score_and_gets_the_next_models(
    marketer, django_capture_on_commit_callbacks
):
    published_model(by=marketer, name="Enterprise", priority=10, segment=BIG)
    published_model(by=marketer, name="Default")
    company = CompanyFactory(employee_count=1000)
    contact = ContactFactory(company=company)
    full_rescore(django_capture_on_commit_callbacks)
    assert scores_by_contact() == {contact.pk: "Enterprise"}

    company.employee_count = 20
    company.save()
    full_rescore(django_capture_on_commit_callbacks)

    assert scores_by_contact() == {contact.pk: "Default"}


def test_a_deactivated_model_loses_its_scores_at_the_next_full_rescore(
    marketer, django_capture_on_commit_callbacks
):
    model = published_model(by=marketer, name="Default")
    ContactFactory()
    full_rescore(django_capture_on_commit_callbacks)
    assert ContactScore.objects.count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        model_update(model=model, data={"is_active": False})

    assert ContactScore.objects.count() == 0
    assert RescoreRun.objects.filter(reason__contains="activation").get().status == "done"


def test_the_run_is_split_into_chunks_and_the_last_one_marks_it_done(
    marketer, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(runs_module, "CHUNK_SIZE", 2)
    published_model(by=marketer)
    contacts = [ContactFactory(job_title="CMO") for _ in range(5)]

    run = full_rescore(django_capture_on_commit_callbacks)

    assert run.chunks_total == 3 == run.chunks_done
    assert run.status == RescoreStatus.DONE and run.finished_at is not None
    assert run.contacts_scored == 5 == ContactScore.objects.count()
    assert set(ContactScore.objects.values_list("contact_id", flat=True)) == {
        c.pk for c in contacts
    }
    assert all(chunk.done for chunk in run.chunks.all())
    assert run.plan == [
        {"model": ContactScore.objects.first().model_id, "version": run.plan[0]["version"]}
    ]


def test_a_chunk_delivered_twice_is_scored_once_and_the_second_delivery_writes_nothing(
    marketer, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(runs_module, "CHUNK_SIZE", 2)
    published_model(by=marketer)
    for _ in range(4):
        contact = ContactFactory(job_title="CMO")
        ActivityEventFactory(contact=contact, occurred_at=timezone.now() - timedelta(days=1))
        ActivityEventFactory(contact=contact, occurred_at=timezone.now() - timedelta(days=2))
    run = full_rescore(django_capture_on_commit_callbacks)
    assert run.mqls_created == 4
    before = (
        list(ContactScore.objects.order_by("contact_id").values()),
        ScoreHistory.objects.count(),
        StageChange.objects.count(),
    )
    chunk = run.chunks.first()

    assert rescore_chunk_run(chunk_id=chunk.pk) is False
    # Doing the chunk's work again (as a redelivered task after a crash would) changes nothing.
    again = scope_rescore(
        steps=plan_steps(run.plan), scope=Scope(lo=chunk.lo, hi=chunk.hi), now=run.as_of
    )

    assert (again.changed, again.mqls) == (0, [])
    assert again.scored == chunk.contacts_scored
    after = (
        list(ContactScore.objects.order_by("contact_id").values()),
        ScoreHistory.objects.count(),
        StageChange.objects.count(),
    )
    assert after == before
    run.refresh_from_db()
    assert (run.chunks_done, run.contacts_scored, run.mqls_created) == (2, 4, 4)


def test_asking_again_while_a_run_is_queued_returns_the_queued_run(marketer):
    first = rescore_start(by=marketer, reason="one")
    second = rescore_start(by=marketer, reason="two")

    assert second.pk == first.pk
    assert RescoreRun.objects.filter(kind=RescoreKind.FULL).count() == 1


def test_the_database_refuses_a_second_running_full_rescore():
    now = timezone.now()
    RescoreRunFactory(kind="full", status="running", reason="a", created_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        RescoreRunFactory(kind="full", status="running", reason="b", created_at=now)
    RescoreRunFactory(kind="full", status="queued", reason="c", created_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        RescoreRunFactory(kind="full", status="queued", reason="d", created_at=now)


def test_a_rescore_asked_for_during_a_run_waits_and_starts_when_the_run_ends(
    marketer, django_capture_on_commit_callbacks
):
    published_model(by=marketer)
    ContactFactory()
    first = rescore_start(by=marketer, reason="first")
    assert rescore_begin(run_id=first.pk) is True
    follow_up = rescore_start(by=marketer, reason="published during the run")

    assert follow_up.pk != first.pk and follow_up.status == RescoreStatus.QUEUED
    assert rescore_begin(run_id=follow_up.pk) is False  # one full run at a time
    with django_capture_on_commit_callbacks(execute=True):
        for chunk in RescoreChunk.objects.filter(run=first):
            rescore_chunk_run(chunk_id=chunk.pk)

    first.refresh_from_db()
    follow_up.refresh_from_db()
    assert first.status == follow_up.status == RescoreStatus.DONE
    assert follow_up.started_at >= first.finished_at


def test_a_failed_chunk_fails_the_run_and_the_queued_follow_up_starts(
    marketer, django_capture_on_commit_callbacks
):
    published_model(by=marketer)
    ContactFactory()
    run = rescore_start(by=marketer, reason="first")
    rescore_begin(run_id=run.pk)
    follow_up = rescore_start(by=marketer, reason="next")

    with django_capture_on_commit_callbacks(execute=True):
        rescore_chunk_failed(chunk_id=run.chunks.get().pk, error="boom")

    run.refresh_from_db()
    follow_up.refresh_from_db()
    assert (run.status, run.error) == (RescoreStatus.FAILED, "boom")
    assert follow_up.status == RescoreStatus.DONE
    assert rescore_chunk_run(chunk_id=run.chunks.get().pk) is False  # the failed run is over


def test_publishing_starts_a_full_rescore(marketer, django_capture_on_commit_callbacks):
    contact = ContactFactory(job_title="CMO")
    model = model_create(data={**BASE, "name": "Default"}, by=marketer)
    from scoring.services import rule_add

    rule_add(model=model, kind="fit_rules", data=CMO)

    with django_capture_on_commit_callbacks(execute=True):
        v1 = model_publish(model=model, by=marketer, note="first")

    run = RescoreRun.objects.get()
    assert (run.status, run.reason, run.started_by) == ("done", "Published Default v1", marketer)
    assert run.plan == [{"model": model.pk, "version": v1.pk}]
    assert ContactScore.objects.get(contact=contact).fit == 25


def test_rolling_back_starts_a_full_rescore_under_the_old_rules(
    marketer, django_capture_on_commit_callbacks
):
    contact = ContactFactory(job_title="CMO")
    model = published_model(by=marketer, engagement=())
    v1 = model.versions.get()
    from scoring.services import rule_update

    rule_update(rule=model.fitrules.get(), data={"points": 40})
    with django_capture_on_commit_callbacks(execute=True):
        model_publish(model=model, by=marketer, note="more")
    assert ContactScore.objects.get(contact=contact).fit == 40

    with django_capture_on_commit_callbacks(execute=True):
        v3 = model_rollback(model=model, version=v1, by=marketer)

    assert ContactScore.objects.get(contact=contact).fit == 25
    assert ContactScore.objects.get(contact=contact).model_version == v3
    assert RescoreRun.objects.order_by("-id").first().reason.startswith("Rolled back Default")


def test_a_chunk_whose_worker_died_mid_way_is_redone_with_the_same_result(
    marketer, django_capture_on_commit_callbacks
):
    published_model(by=marketer)
    contacts = [ContactFactory(job_title="CMO") for _ in range(3)]
    for contact in contacts[:2]:
        for days in (1, 2):
            ActivityEventFactory(contact=contact, occurred_at=timezone.now() - timedelta(days=days))
    run = rescore_start(by=None, reason="crash test")
    rescore_begin(run_id=run.pk)
    chunk = run.chunks.get()

    with transaction.atomic():  # the worker dies before its transaction commits
        assert rescore_chunk_run(chunk_id=chunk.pk) is True
        assert ContactScore.objects.count() == 3
        transaction.set_rollback(True)
    assert (ContactScore.objects.count(), RescoreChunk.objects.get(pk=chunk.pk).done) == (0, False)

    with django_capture_on_commit_callbacks(execute=True):
        assert rescore_chunk_run(chunk_id=chunk.pk) is True  # the redelivered task

    run.refresh_from_db()
    assert (run.status, run.chunks_done, run.contacts_scored, run.mqls_created) == ("done", 1, 3, 2)
    assert ScoreHistory.objects.count() == 3
    assert StageChange.objects.filter(to_stage="mql").count() == 2
