"""AutoFin settings: everything that differs between machines comes from the environment.

With nothing set, the database is the local PostgreSQL and the broker the local Redis;
`make run` (autofin.run) sets DATABASE_URL / REDIS_URL to embedded servers when they are unset.
"""

import sys
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A .env file is optional and never required; real deployments set the environment.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# pytest (and `manage.py test`) talk plain HTTP to the test server and use unhashed static files.
TESTING = env.bool("TESTING", default="pytest" in sys.modules or sys.argv[1:2] == ["test"])
# Served behind TLS? Production: yes. The local demo (`make run`) and tests: plain HTTP.
HTTPS = env.bool("HTTPS", default=not DEBUG and not TESTING)
SECRET_KEY = env.str(
    "SECRET_KEY",
    # Only good for development: deployments must set SECRET_KEY (check --deploy flags short keys).
    default="dev-insecure-autofin-secret-key-change-me",
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "autofin",
    "dealers",
    "risk",
    "origination",
    "servicing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "autofin.urls"
WSGI_APPLICATION = "autofin.wsgi.application"
AUTH_USER_MODEL = "autofin.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

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
                "django.template.context_processors.i18n",
                "autofin.context_processors.navigation",
            ],
            "builtins": ["autofin.templatetags.money"],
        },
    }
]

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/autofin"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Several test runs may share one server (developers, helpers, CI): let each pick its own name.
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default="test_autofin")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env.str("CACHE_URL", default=REDIS_URL),
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="autofin"),
    }
}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# The queue tasks go to unless routed: a worker started for one test run sends what it
# dispatches (the nightly batch's chords) to its own private queue.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 600
CELERY_TASK_SOFT_TIME_LIMIT = 540
CELERY_TIMEZONE = "Asia/Shanghai"
# Rendering PDFs takes seconds of CPU: it has its own queue (and worker), so automated decisions,
# which must come back in seconds, never wait behind a contract being drawn up.
CELERY_TASK_ROUTES = {"origination.tasks.application_contract_issue": {"queue": "documents"}}
# The nightly settlement: loan ids per chunk (a chunk is one transaction holding its loans'
# row locks, so smaller chunks mean shorter waits for online postings); the nice level of the
# database backend running a chunk when the database is on this host (0: off), see
# servicing.eod.priority.
EOD_CHUNK_SIZE = env.int("EOD_CHUNK_SIZE", default=10_000)
EOD_NICE = env.int("EOD_NICE", default=10)

CELERY_BEAT_SCHEDULE: dict = {
    # Messages held back for Beijing contact hours (08:00–21:00) go out when the window opens.
    "notifications-release-due": {
        "task": "autofin.tasks.notifications_release_due",
        "schedule": 300.0,
    },
    # The nightly settlement: 00:30 Beijing, catching up to yesterday; its watchdog
    # re-dispatches stale chunks every minute.
    "eod-nightly": {
        "task": "servicing.tasks_eod.eod_nightly",
        "schedule": crontab(hour=0, minute=30),
    },
    "eod-watchdog": {"task": "servicing.tasks_eod.eod_watchdog", "schedule": 60.0},
    # Payments whose bank answer is overdue are asked about by key (never re-sent blind).
    "disbursement-recover": {
        "task": "servicing.tasks_disbursement.disbursement_recover",
        "schedule": 60.0,
    },
    # The bank's statement of the previous day, reconciled at 06:00 Beijing.
    "disbursement-reconcile": {
        "task": "servicing.tasks_disbursement.reconciliation_daily",
        "schedule": crontab(hour=6, minute=0),
    },
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]

# Login throttling: this many failures for one username or one client address within the
# window block further attempts until the window passes.
LOGIN_THROTTLE_LIMIT = env.int("LOGIN_THROTTLE_LIMIT", default=5)
LOGIN_THROTTLE_WINDOW_SECONDS = env.int("LOGIN_THROTTLE_WINDOW_SECONDS", default=900)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
# Pre-compressing ~900 static files takes half a minute on every fresh start: the local demo
# (`make run`) turns it off with STATIC_COMPRESS=false; production keeps it.
STATIC_COMPRESS = env.bool("STATIC_COMPRESS", default=True)
if DEBUG or TESTING:
    _static_backend = "django.contrib.staticfiles.storage.StaticFilesStorage"
elif STATIC_COMPRESS:
    _static_backend = "whitenoise.storage.CompressedManifestStaticFilesStorage"
else:
    _static_backend = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": _static_backend},
}
# Uploaded documents live outside the web root and are served only through permission checks.
DATA_DIR = env.path("AUTOFIN_DATA_DIR", default=BASE_DIR / ".data")
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=Path(DATA_DIR) / "private")

# Field encryption (ID numbers, phones, bank accounts) and keyed hashes for matching.
FIELD_ENCRYPTION_KEYS = env.list(
    "FIELD_ENCRYPTION_KEYS",
    # Development key only (Fernet, url-safe base64 of 32 bytes); deployments set their own.
    default=["cYbFDe6fmxe-Xv7sVJq6fBbzX9r0nGCcJ0pP7mA8fVI="],
)
HMAC_KEY = env.str("HMAC_KEY", default="dev-autofin-hmac-key-change-me")

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="autofin.notifications.SandboxEmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="AutoFin <noreply@autofin.example>")
# The SMS gateway adapter: a dotted path to a class implementing autofin.notifications.SmsGateway.
SMS_BACKEND = env.str("SMS_BACKEND", default="autofin.notifications.SandboxSmsGateway")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "AutoFin API",
    "DESCRIPTION": "Auto-finance origination and servicing API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # One schema name per choice set that several serializers share (GLOSSARY names).
    "ENUM_NAME_OVERRIDES": {
        "VehicleKindEnum": "origination.models.products.VehicleKind",
        "VehicleUseEnum": "origination.models.products.VehicleUse",
        "CollateralStatusEnum": "servicing.models.loans.CollateralStatus",
        "ApplicationStatusEnum": "origination.models.applications.ApplicationStatus",
        "LoanStatusEnum": "servicing.models.loans.LoanStatus",
    },
}

# Production hardening follows HTTPS; each piece can still be set on its own.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=HTTPS)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=HTTPS)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=HTTPS)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=HTTPS)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# --- surface: login throttling, security headers, sessions, re-authentication, security log
# One failed-login throttle for every login form (autofin.throttle): LOGIN_THROTTLE_LIMIT
# failures lock an account; an address is stopped only after LOGIN_THROTTLE_ADDRESS_LIMIT
# failures, and even then not for accounts that signed in from it within
# LOGIN_THROTTLE_KNOWN_SECONDS (people behind one office or carrier address).
LOGIN_THROTTLE_ADDRESS_LIMIT = env.int("LOGIN_THROTTLE_ADDRESS_LIMIT", default=50)
LOGIN_THROTTLE_KNOWN_SECONDS = env.int("LOGIN_THROTTLE_KNOWN_SECONDS", default=30 * 86400)
# Sessions end after 12 hours without a request (autofin.middleware.SessionIdleMiddleware).
SESSION_IDLE_SECONDS = env.int("SESSION_IDLE_SECONDS", default=12 * 3600)
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS
# Money actions need the password typed within this many seconds (autofin.reauth).
REAUTH_MAX_AGE_SECONDS = env.int("REAUTH_MAX_AGE_SECONDS", default=15 * 60)
# No inline scripts: page behaviour lives in static/js/autofin.js. Inline style attributes stay
# allowed (progress bars' widths); they cannot run code.
CONTENT_SECURITY_POLICY = env.str(
    "CONTENT_SECURITY_POLICY",
    default="default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; frame-ancestors 'none'",
)
PERMISSIONS_POLICY = env.str(
    "PERMISSIONS_POLICY",
    default="camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
    "magnetometer=(), gyroscope=(), accelerometer=()",
)
MIDDLEWARE = [
    *MIDDLEWARE[: MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1],
    "autofin.middleware.SessionIdleMiddleware",
    "autofin.middleware.SecurityHeadersMiddleware",
    "autofin.security_log.SecurityLogMiddleware",
    *MIDDLEWARE[MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1 :],
]
# /healthz details (versions, hosts) for monitoring presenting this in X-Healthz-Token; empty:
# only signed-in staff see them.
HEALTHZ_DETAIL_TOKEN = env.str("HEALTHZ_DETAIL_TOKEN", default="")
# Swagger UI's files come from drf-spectacular-sidecar (served as our static files, no CDN).
INSTALLED_APPS = [*INSTALLED_APPS, "drf_spectacular_sidecar"]
SPECTACULAR_SETTINGS |= {
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
# API request bodies (autofin.parsers.LimitedJSONParser): size in bytes and nesting depth.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1_000_000)
API_MAX_JSON_DEPTH = env.int("API_MAX_JSON_DEPTH", default=32)
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [
    "autofin.parsers.LimitedJSONParser",
    "rest_framework.parsers.FormParser",
    "rest_framework.parsers.MultiPartParser",
]
# Heavy endpoints (PDF/CSV schedules, contract PDFs), per user or anonymous address, and SMS
# codes (autofin.ratelimit, origination.services.signup).
HEAVY_ENDPOINT_RATE_PER_MINUTE = env.int("HEAVY_ENDPOINT_RATE_PER_MINUTE", default=20)
SMS_CODES_PER_PHONE_PER_HOUR = env.int("SMS_CODES_PER_PHONE_PER_HOUR", default=5)
SMS_CODES_PER_ADDRESS_PER_HOUR = env.int("SMS_CODES_PER_ADDRESS_PER_HOUR", default=10)
# The security log (网络安全法 第21条: at least 180 days; a smaller value is refused).
SECURITY_LOG_RETENTION_DAYS = env.int("SECURITY_LOG_RETENTION_DAYS", default=365)
CELERY_BEAT_SCHEDULE["security-log-prune"] = {
    "task": "autofin.tasks.security_log_prune",
    "schedule": crontab(hour=3, minute=15),
}
