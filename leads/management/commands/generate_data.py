import argparse
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core import roles
from leads.generate import GenerateResult, data_generate, data_history, event_indexes_dropped


class Command(BaseCommand):
    help = (
        "Fill the database with synthetic companies, contacts (with stage history) and events "
        "through the bulk path: COPY on PostgreSQL, batched inserts on SQLite; with --history "
        "(the default) the apps above add MQLs, sales' decisions, touches, deals and campaign "
        "spend that go with them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--contacts", type=int, required=True)
        parser.add_argument("--events", type=int, required=True)
        parser.add_argument("--companies", type=int, default=None, help="default: contacts/20")
        parser.add_argument("--days", type=int, default=365, help="events over the last N days")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--history",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="add the history of the run: MQLs with their decisions and touches, deals won "
            "and lost, campaign spend (default: on; --no-history for contacts and events only)",
        )
        parser.add_argument(
            "--history-days",
            type=int,
            default=None,
            help="MQLs opened over the last N days (default: --days); stage histories go as far",
        )
        parser.add_argument(
            "--drop-indexes",
            choices=["auto", "yes", "no"],
            default="auto",
            help="PostgreSQL: drop the events' secondary indexes during the load and rebuild them "
            "after (auto: when adding at least 1,000,000 events and more than the table holds)",
        )

    def handle(
        self,
        *args,
        contacts,
        events,
        companies,
        days,
        seed,
        drop_indexes,
        history,
        history_days,
        **options,
    ):
        history_days = days if history_days is None else history_days
        for name, value in (("contacts", contacts), ("events", events), ("days", days)):
            if value < 0 or (name == "days" and value < 1):
                raise CommandError(f"--{name} must be positive, got {value}")
        if not 1 <= history_days <= 3650:
            raise CommandError(f"--history-days must be between 1 and 3650, got {history_days}")
        if companies is not None and companies < 0:
            raise CommandError(f"--companies must not be negative, got {companies}")
        if events and not contacts:
            raise CommandError("--events needs --contacts: events belong to contacts")
        reps = list(
            get_user_model()
            .objects.filter(groups__name=roles.SALES_REP, is_active=True)
            .values_list("pk", flat=True)
        )

        def progress(r: GenerateResult) -> None:
            self.stdout.write(
                f"  {r.contacts:>12,} contacts {r.events:>14,} events  {r.seconds:7.1f} s "
                f"({r.rows / r.seconds if r.seconds else 0:,.0f} rows/s)"
            )

        started = time.perf_counter()
        with event_indexes_dropped(mode=drop_indexes, adding=events, log=self.stdout.write):
            result = data_generate(
                contacts=contacts,
                events=events,
                companies=companies,
                days=days,
                seed=seed,
                owner_ids=reps,
                progress=progress,
                chunk_contacts=max(1000, min(20_000, contacts // 50 or 1)),
                stage_days=max(days, history_days),
            )
        self.stdout.write(
            f"run {result.run}: {result.companies:,} companies, {result.contacts:,} contacts, "
            f"{result.stage_changes:,} stage changes, {result.events:,} events"
        )
        self.stdout.write(
            f"data written in {result.seconds:.1f} s: {result.rows / max(result.seconds, 1e-9):,.0f}"
            f" rows/s, {result.events / max(result.seconds, 1e-9):,.0f} events/s"
        )
        if history:  # once the events' indexes are back: the history reads events
            for line in data_history(
                result=result, history_days=history_days, log=self.stdout.write
            ):
                self.stdout.write(line)
        self.stdout.write(f"total (with index rebuilds): {time.perf_counter() - started:.1f} s")
