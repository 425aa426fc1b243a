import os

from celery import Celery
from celery.signals import task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("leadbridge")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Longest one SQL statement may run in a task (seconds), where the default
# (DB_TASK_STATEMENT_TIMEOUT) is not right: an import's COPY into a large table, or a chunk of a
# full rescore on a cold cache, may legitimately run for minutes. 0: no limit.
TASK_STATEMENT_TIMEOUTS = {
    "leads.contacts_import": 1800,
    "scoring.rescore_begin": 900,
    "scoring.rescore_chunk": 900,
    "scoring.rescore_scheduled": 900,
}


@task_prerun.connect
def _statement_timeout(task=None, **kwargs):
    from django.conf import settings

    from core.statement_timeout import statement_timeout_set

    seconds = TASK_STATEMENT_TIMEOUTS.get(task.name, settings.DB_TASK_STATEMENT_TIMEOUT)
    statement_timeout_set(seconds=seconds)
