"""Celery task of the backtests: takes an id, calls one service; safe to run twice."""

from celery import shared_task

from insights import backtest


@shared_task(name="insights.backtest_run")
def backtest_run_task(backtest_id: int) -> bool:
    return backtest.backtest_run(backtest_id=backtest_id)
