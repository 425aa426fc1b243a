"""Helpers for the planner statistics tests (PostgreSQL): forget a table's, read them back."""

from django.db import connection


def statistics_forget(*models) -> None:
    """Reset the tables' statistics counters: as if never analyzed (last_analyze is NULL)."""
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(
                "SELECT pg_stat_reset_single_table_counters(%s::regclass)", [model._meta.db_table]
            )


def last_analyze(model):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = %s",
            [model._meta.db_table],
        )
        return cursor.fetchone()[0]
