"""LeadBridge settings, driven by environment variables (see README, "Configuration").

With nothing set, the app runs on a SQLite file and Celery's filesystem broker under var/, so the
quick start needs no services. Set DATABASE_URL and CELERY_BROKER_URL for PostgreSQL and Redis.
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("LEADBRIDGE_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "django_celery_beat",
    "axes",
    "csp",
    "core",
    "leads",
    "scoring",
    "handoff",
    "feedback",
    "insights",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.statement_timeout.StatementTimeoutMiddleware",
    "core.middleware.RefusedMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.navigation",
                "handoff.context_processors.notifications",
            ],
        },
    },
]

# Longest one SQL statement may run (seconds; PostgreSQL), in a web request and, by default, in
# a task (config/celery.py sets a longer limit for the tasks that need one). 0: no limit.
DB_STATEMENT_TIMEOUT = env_int("DB_STATEMENT_TIMEOUT", 30)
DB_TASK_STATEMENT_TIMEOUT = env_int("DB_TASK_STATEMENT_TIMEOUT", 300)
for _name in ("DB_STATEMENT_TIMEOUT", "DB_TASK_STATEMENT_TIMEOUT"):
    if globals()[_name] < 0:
        raise ImproperlyConfigured(f"{_name} must be 0 (no limit) or a number of seconds")
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # The covering indexes (PostgreSQL's INCLUDE) are plain indexes on SQLite, the zero-setup
    # development database: nothing to act on, so no warning at every start.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
    # WAL lets the web server, the worker and beat share the file without "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
    }
elif env_bool("DB_PREPARED_STATEMENTS", True):
    # Django leaves psycopg's prepare_threshold unset, which disables prepared statements. With
    # a threshold, a statement run with prepare=True is prepared once per connection: the
    # scoring engine's one-contact statement (no planning per call). Django's own queries use
    # client-side binding and are never prepared, whatever the threshold. Set
    # DB_PREPARED_STATEMENTS=false behind a pooler in transaction mode (pgbouncer < 1.21).
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 2**31 - 1
# Sessions open under the web limit, so a request pays no query to set it (the middleware and
# each task change it only when theirs differs); management commands other than runserver (bulk
# loads, migrations) keep the server's default. Behind a pooler that refuses the `options`
# startup parameter (pgbouncer without `ignore_startup_parameters = options`), set
# DB_STATEMENT_TIMEOUT_ON_CONNECT=false: the middleware then sets it once per session.
DB_CONNECT_STATEMENT_TIMEOUT = (
    DB_STATEMENT_TIMEOUT
    if env_str("LEADBRIDGE_PROCESS") != "command"
    and env_bool("DB_STATEMENT_TIMEOUT_ON_CONNECT", True)
    and DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3"
    else None
)
if DB_CONNECT_STATEMENT_TIMEOUT is not None:
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c statement_timeout={DB_CONNECT_STATEMENT_TIMEOUT}s"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
# The organisation's one currency (ISO 4217): every deal amount and spend is in it.
LEADBRIDGE_CURRENCY = (env_str("LEADBRIDGE_CURRENCY", "USD") or "USD").upper()
# A rep hears of a new MQL at once, unless they heard of one within this many minutes: then the
# ones assigned meanwhile come in one digest when that time is up (0: each at once).
LEADBRIDGE_NEW_MQL_DIGEST_MINUTES = env_int("LEADBRIDGE_NEW_MQL_DIGEST_MINUTES", 5)
if LEADBRIDGE_NEW_MQL_DIGEST_MINUTES < 0:
    raise ImproperlyConfigured("LEADBRIDGE_NEW_MQL_DIGEST_MINUTES must be 0 or more minutes")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/chartjs", NODE_MODULES / "chart.js" / "dist"),
    ("vendor/pico", NODE_MODULES / "@picocss" / "pico" / "css"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
# Largest contacts CSV the import page accepts (manage.py import_contacts has no limit).
IMPORT_MAX_UPLOAD_MB = env_int("IMPORT_MAX_UPLOAD_MB", 100)

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Failed logins: 5 wrong passwords for one username from one address lock it for an hour.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 1
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# --- Email ----------------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "LeadBridge <leadbridge@localhost>")

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONObjectParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {},
}
REST_KNOX = {
    "TOKEN_TTL": None,
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
    "TOKEN_PREFIX": "lb_",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LeadBridge API",
    "DESCRIPTION": "Contacts, activity events, lifecycle stages, scoring and handoff.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema is an API endpoint like the others: session or token login required.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One schema component per choice set, whatever the field is called (to, stage, to_stage).
    "ENUM_NAME_OVERRIDES": {
        "LifecycleStageEnum": "leads.models.LifecycleStage",
        "EventTypeEnum": "leads.models.EventType",
        "DurationUnitEnum": "handoff.models.DurationUnit",
        "SlaKindEnum": "handoff.models.SlaKind",
        "MqlStatusEnum": "handoff.models.MqlStatus",
        "ClockChangeReasonEnum": "handoff.models.ClockChangeReason",
        "DealStageEnum": "insights.models.DealStage",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.document_errors",
    ],
}

# The empty choice of every filter's select: "Any", not Django's "---------".
FILTERS_EMPTY_CHOICE_LABEL = "Any"

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://localhost/")
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 3600)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 3300)
# Redis: seconds a message taken by a worker that has not acknowledged it stays invisible before
# Redis hands it out again. Longer than any task (a running task is never sent twice); a worker
# that dies is noticed by the app itself much sooner (STALLED_WORK_AFTER_SECONDS), not by this.
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 2 * 3600)
# Work with no sign of life for this long is taken as lost to a dead worker: a rescore chunk is
# sent again, a contacts import is marked failed (see docs/operations.md, "When a worker dies").
# Longer than one chunk of work may take, shorter than anyone should wait.
STALLED_WORK_AFTER_SECONDS = env_int("STALLED_WORK_AFTER_SECONDS", 180)
if CELERY_TASK_TIME_LIMIT <= 0 or CELERY_TASK_SOFT_TIME_LIMIT <= 0:
    raise ImproperlyConfigured("CELERY_TASK_TIME_LIMIT and CELERY_TASK_SOFT_TIME_LIMIT must be > 0")
if CELERY_VISIBILITY_TIMEOUT <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        f"CELERY_VISIBILITY_TIMEOUT ({CELERY_VISIBILITY_TIMEOUT}) must be longer than "
        f"CELERY_TASK_TIME_LIMIT ({CELERY_TASK_TIME_LIMIT}): else Redis hands a running task "
        "to a second worker"
    )
if STALLED_WORK_AFTER_SECONDS < 1:
    raise ImproperlyConfigured("STALLED_WORK_AFTER_SECONDS must be a number of seconds (>= 1)")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    (_broker_dir / "processed").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "control_folder": str(_broker_dir / "control"),  # default: ./control in the cwd
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
# The queue tasks are sent to (and a worker started without -Q reads): separate deployments, or
# the worker tests, can share one Redis.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE") or "celery"
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# What tasks print (the console email backend of development) is output, not a warning.
CELERY_WORKER_REDIRECT_STDOUTS_LEVEL = "INFO"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client_errors": {"()": "core.logging.ClientErrorsAsInfo"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own console handler would print each line a second time beside the root's.
        "django": {"handlers": [], "propagate": True},
        "django.request": {"filters": ["client_errors"]},
    },
}

# Demo data (seed_demo) password.
DEMO_PASSWORD = env_str("DEMO_PASSWORD", "demo")
