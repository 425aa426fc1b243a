"""Logging helpers the settings name."""

import logging


class ClientErrorsAsInfo(logging.Filter):
    """django.request logs every 4xx as a warning, a refused page (403) with its traceback. A
    missing or refused page is the answer working as meant, not a fault: log it at INFO, one
    line, and keep 5xx as the errors they are."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and 400 <= status < 500:
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.exc_info, record.exc_text = None, None
        return True
