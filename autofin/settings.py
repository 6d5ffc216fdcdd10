"""AutoFin settings: everything that differs between machines comes from the environment.

With nothing set, the database is the local PostgreSQL and the broker the local Redis;
`make run` (autofin.dev.run) sets DATABASE_URL / REDIS_URL to embedded servers when they are unset.
"""

import sys
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _
from kombu import Queue

from autofin import beat
from autofin.rails import ADAPTERS

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A .env file is optional and never required; real deployments set the environment.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# pytest (and `manage.py test`) talk plain HTTP to the test server and use unhashed static files.
TESTING = env.bool("TESTING", default="pytest" in sys.modules or sys.argv[1:2] == ["test"])
# Served behind TLS? Production: yes. The local demo (`make run`) and tests: plain HTTP.
HTTPS = env.bool("HTTPS", default=not DEBUG and not TESTING)
# Development defaults, published here: the deploy checks (autofin.checks) refuse each of them
# outside DEBUG / AUTOFIN_SANDBOX.
DEV_SECRET_KEY = "dev-insecure-autofin-secret-key-change-me"
DEV_HMAC_KEY = "dev-autofin-hmac-key-change-me"
DEV_FIELD_ENCRYPTION_KEYS = ["cYbFDe6fmxe-Xv7sVJq6fBbzX9r0nGCcJ0pP7mA8fVI="]
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
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
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
# A streaming replica for read-only lists and dashboards (autofin/replica.py); writes,
# migrations, period close and regulatory reports stay on the primary (autofin/db_router.py).
# Tests get the alias as a mirror of the test database, switched on per test.
READ_REPLICA_ALIAS: str | None = None
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    READ_REPLICA_ALIAS = "replica"
elif TESTING:
    DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["autofin.db_router.PrimaryWritesRouter"]
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
# A contract's PDFs take most of a second of CPU: their own queue and worker, niced (compose,
# make run, bench/decisions.py), so neither the decisions nor the OCR reads (queue "documents")
# they use wait behind them, and on a busy host they take no core from what customers wait on.
CELERY_TASK_ROUTES = {"origination.tasks.application_contract_issue": {"queue": "contracts"}}
# Customer messages (SMS, e-mail: two for each decided application) have their own queue, which
# the main worker reads after its default one: with the "priority" order Redis hands a worker
# the first of its queues (in the order it lists them) that holds a task, so a decision never
# waits behind messages, and a message waits only while decisions are queued. A worker started
# without -Q reads both, in this order.
CELERY_TASK_ROUTES["autofin.tasks.notification_deliver"] = {"queue": "notifications"}
CELERY_TASK_QUEUES = [Queue(CELERY_TASK_DEFAULT_QUEUE), Queue("notifications")]
CELERY_BROKER_TRANSPORT_OPTIONS = {"queue_order_strategy": "priority"}
# The nightly settlement: loan ids per chunk (a chunk is one transaction holding its loans'
# row locks, so smaller chunks mean shorter waits for online postings).
EOD_CHUNK_SIZE = env.int("EOD_CHUNK_SIZE", default=10_000)
# A chunk's lease: a worker that holds one longer without a heartbeat is presumed dead and the
# watchdog re-dispatches the chunk; heartbeats every EOD_HEARTBEAT_SECONDS.
EOD_LEASE_SECONDS = env.int("EOD_LEASE_SECONDS", default=120)
EOD_HEARTBEAT_SECONDS = env.float("EOD_HEARTBEAT_SECONDS", default=10.0)
# Collections: automatic contact attempts per loan and business day.
EOD_COLLECTIONS_DAILY_ATTEMPTS = env.int("EOD_COLLECTIONS_DAILY_ATTEMPTS", default=3)
# Whether the batch hands the day's auto-debit file to the bank (off: the file is only written).
EOD_AUTO_DEBIT_SEND = env.bool("EOD_AUTO_DEBIT_SEND", default=True)
# Early warning over the whole book each night (default: only loans whose facts changed).
EOD_EARLY_WARNING_FULL = env.bool("EOD_EARLY_WARNING_FULL", default=False)
# Auto-debit results applied per transaction.
AUTO_DEBIT_APPLY_CHUNK = env.int("AUTO_DEBIT_APPLY_CHUNK", default=200)
# Disbursement payments go to the bank by Celery ("celery"), inline after commit ("eager"), or
# only through the recovery task ("manual").
DISBURSEMENT_DISPATCH = env.str("DISBURSEMENT_DISPATCH", default="celery")

# The periodic tasks (autofin/beat.py says when each runs and why).
CELERY_BEAT_SCHEDULE: dict = beat.SCHEDULE

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

# Uploaded documents: the largest file accepted, in bytes.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
# The lender's name printed on contracts (empty: the default name in the contract template).
AUTOFIN_LENDER_NAME = env.str("AUTOFIN_LENDER_NAME", default="")
# Products and pricing read for quotes are cached in-process this many seconds (0: off).
ORIGINATION_QUOTE_CACHE_SECONDS = env.float(
    "ORIGINATION_QUOTE_CACHE_SECONDS", default=0 if TESTING else 5
)
# The underwriting workbench flags applications waiting longer than this.
UNDERWRITING_SLA_HOURS = env.int("UNDERWRITING_SLA_HOURS", default=4)

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
# Pre-compressing ~900 static files takes half a minute on every fresh start: the local demo
# (`make run`) turns it off with STATIC_COMPRESS=false; production keeps it.
STATIC_COMPRESS = env.bool("STATIC_COMPRESS", default=True)
if DEBUG or TESTING:
    _static_backend = "django.contrib.staticfiles.storage.StaticFilesStorage"
elif STATIC_COMPRESS:
    _static_backend = "autofin.static_storage.CompressedManifestStorage"
else:
    _static_backend = "autofin.static_storage.ManifestStorage"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": _static_backend},
}
# Uploaded documents live outside the web root and are served only through permission checks.
DATA_DIR = env.path("AUTOFIN_DATA_DIR", default=BASE_DIR / ".data")
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=Path(DATA_DIR) / "private")

# Field encryption (ID numbers, phones, bank accounts) and keyed hashes for matching.
# Fernet keys (url-safe base64 of 32 bytes), newest first: the first encrypts, all decrypt, so
# a new key goes in front and `manage.py reencrypt_fields` moves old ciphertexts to it.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=DEV_FIELD_ENCRYPTION_KEYS)
HMAC_KEY = env.str("HMAC_KEY", default=DEV_HMAC_KEY)

DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="AutoFin <noreply@autofin.example>")

# Absolute links in messages (SMS, e-mail, callbacks we give providers): this site's address.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Rails: every outside party sits behind an adapter named by a dotted path -----------------
# Sandboxes (in-process simulators that pay, verify and score on request) exist only with
# AUTOFIN_SANDBOX=1 (`make run`, the tests, the demo compose profile): then they are the
# defaults and their pages are mounted. Without it the defaults are the production adapters
# (signed JSON over HTTP, docs/integrations.md) and a sandbox class refuses to be built.
AUTOFIN_SANDBOX = env.bool("AUTOFIN_SANDBOX", default=False)


# Every rail's adapter (autofin/rails.py), each overridable under its own name.
for _name, (_sandbox, _production) in ADAPTERS.items():
    globals()[_name] = env.str(_name, default=_sandbox if AUTOFIN_SANDBOX else _production)


# Each rail's production endpoint: <PREFIX>_URL, _KEY_ID, _SECRET (the per-provider secret
# that signs requests, answers and callbacks), _PREVIOUS_KEY_ID and _PREVIOUS_SECRET (the pair
# being rotated out: verifies, never signs), _TIMEOUT (seconds), _RETRIES, _BACKOFF (seconds,
# doubled per retry). Rails: payment (PAYMENT_PROVIDER_*), bank (BANK_*, disbursement and
# auto-debit), bureau (BUREAU_*), verification (VERIFICATION_*), phone (PHONE_STATUS_*),
# valuation (VALUATION_*), income (INCOME_*), sms (SMS_*), email (EMAIL_*), esign (ESIGN_*).
INTEGRATION_PREFIXES = {
    "payment": "PAYMENT_PROVIDER",
    "bank": "BANK",
    "bureau": "BUREAU",
    "verification": "VERIFICATION",
    "phone": "PHONE_STATUS",
    "valuation": "VALUATION",
    "income": "INCOME",
    "sms": "SMS",
    "email": "EMAIL",
    "esign": "ESIGN",
    "credit_reporting": "CREDIT_REPORTING",
    "oem_claims": "OEM_CLAIMS",
    "invoicing": "INVOICING",
    "bank_card": "BANK_CARD",
    "insurers": "INSURERS",  # SERVICING_INSURERS: renewal quotes, binding, commission
}
INTEGRATIONS = {
    rail: {
        "env_prefix": prefix,
        "url": env.str(f"{prefix}_URL", default=""),
        "key_id": env.str(f"{prefix}_KEY_ID", default="sandbox" if AUTOFIN_SANDBOX else ""),
        # A sandbox plays the party in-process and signs with this placeholder; the deploy
        # checks refuse it (and anything shorter than 32 characters) for a production adapter.
        "secret": env.str(
            f"{prefix}_SECRET", default=f"sandbox-{rail}-secret" if AUTOFIN_SANDBOX else ""
        ),
        # During a key rotation the provider's previous pair still verifies its answers and
        # callbacks (chosen by the key id they carry); only the pair above signs.
        "previous_key_id": env.str(f"{prefix}_PREVIOUS_KEY_ID", default=""),
        "previous_secret": env.str(f"{prefix}_PREVIOUS_SECRET", default=""),
        "timeout": env.float(f"{prefix}_TIMEOUT", default=10.0),
        "retries": env.int(f"{prefix}_RETRIES", default=2),
        "backoff": env.float(f"{prefix}_BACKOFF", default=0.5),
    }
    for rail, prefix in INTEGRATION_PREFIXES.items()
}
# seed_demo's users get this password (empty: the README's, for `make run` only; the compose
# demo profile requires one).
AUTOFIN_DEMO_PASSWORD = env.str("AUTOFIN_DEMO_PASSWORD", default="")
# Signed messages older or newer than this are refused (and their nonces kept twice as long).
INTEGRATION_MAX_SKEW_SECONDS = env.int("INTEGRATION_MAX_SKEW_SECONDS", default=300)
# The sandbox bank: callbacks by Celery ("celery") or only when asked ("manual": tests, demos);
# its statement files' folder.
SANDBOX_BANK_CALLBACKS = env.str("SANDBOX_BANK_CALLBACKS", default="celery")
SANDBOX_BANK_DIR = env.path("SANDBOX_BANK_DIR", default=Path(DATA_DIR) / "sandbox_bank")

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

# --- dbguard
# The nightly batch's fixed throttle: a worker's pause after each chunk it committed, so online
# postings get the database between chunks (servicing.eod.throttle.chunk_pause). Tests run
# hundreds of two-loan chunks: no pause there unless a test sets one.
EOD_CHUNK_PAUSE_MS = env.int("EOD_CHUNK_PAUSE_MS", default=0 if TESTING else 100)

# --- money
# autofin.idempotency: a key claimed by a request that never finished (a worker died) may be
# taken over after this many seconds; the service's own unique key makes the rerun a replay.
IDEMPOTENCY_IN_FLIGHT_STALE_SECONDS = env.int("IDEMPOTENCY_IN_FLIGHT_STALE_SECONDS", default=300)

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

# --- j-ui
# A view's plain-text refusal (HttpResponseForbidden) is shown as the friendly 403 page; placed
# after the message and session middleware so the page has the user and the navigation.
MIDDLEWARE = [*MIDDLEWARE, "autofin.middleware.FriendlyForbiddenMiddleware"]

# --- j-cust
# One date format on every page, PDF and message: ISO 2026-12-07 (autofin/formats says why);
# dates printed without a format follow it instead of the locale's 2026年12月7日.
FORMAT_MODULE_PATH = ["autofin.formats"]
# Form labels end in a full-width "：" on Chinese pages (Django's own suffix is ASCII there).
FORM_RENDERER = "autofin.forms.HouseFormRenderer"

# --- r-aml
AML_REPORTING_INSTITUTION = env.str("AML_REPORTING_INSTITUTION", default="AutoFin 汽车金融有限公司")

# --- cmp
# The court feed's drop folder, read by the nightly batch (servicing.eod.steps.court_lists).
COURT_LIST_DROP_DIR = env.str("COURT_LIST_DROP_DIR", default="")
# --- cr
# --- oem
INVOICE_SELLER_NAME = env.str("INVOICE_SELLER_NAME", default="AutoFin 汽车金融有限公司")
INVOICE_SELLER_TAXPAYER_ID = env.str("INVOICE_SELLER_TAXPAYER_ID", default="91310000MA1FL0000N")
# --- tele
# The GPS provider's webhook key (docs/telematics.md; production refuses the sandbox one) and
# how many days of position history are kept.
TELEMATICS_KEY_ID = env.str("TELEMATICS_KEY_ID", default="sandbox" if AUTOFIN_SANDBOX else "")
_gps = "sandbox-telematics-secret" if AUTOFIN_SANDBOX else ""
TELEMATICS_SECRET = env.str("TELEMATICS_SECRET", default=_gps)
TELEMATICS_HISTORY_DAYS = env.int("TELEMATICS_HISTORY_DAYS", default=90)
# --- slb
# --- ocr
CELERY_TASK_ROUTES["origination.tasks.document_ocr_read"] = {"queue": "documents"}
OCR_THREADS = env.int("OCR_THREADS", default=1)  # ONNX Runtime threads per OCR worker process
# --- reval
# Monthly book checks (docs/collateral-checks.md): fresh phone check before a collection contact
# after N days; bureau re-check sample %, score drop counted as deterioration.
COLLATERAL_CHECKS = {"phone_stale_days": env.int("COLLATERAL_PHONE_STALE_DAYS", default=30),
    "bureau_sample_pct": env.str("COLLATERAL_BUREAU_SAMPLE_PCT", default="5"),
    "bureau_score_drop": env.int("COLLATERAL_BUREAU_SCORE_DROP", default=50)}  # fmt: skip
# --- lease
LEASE_INVOICE_GROUPING = env.str("LEASE_INVOICE_GROUPING", default="rent")  # rent | month
# 留购价: the nominal buyout every new lease bills with its last rent (0: none)
LEASE_BUYOUT_PRICE = env.str("LEASE_BUYOUT_PRICE", default="0.00")
LEASE_VAT_MARGIN_ELIGIBLE = env.bool("LEASE_VAT_MARGIN_ELIGIBLE", default=False)  # 差额征税
# --- insurance
# Renewal quotes are fetched this many days before a policy ends (docs/insurance.md).
INSURANCE_RENEWAL_DAYS = env.int("INSURANCE_RENEWAL_DAYS", default=30)
# Commission income is booked only with an insurance agency licence (兼业代理许可); the demo
# and sandbox act as a licensed lender so the accounting can be seen.
INSURANCE_AGENCY_LICENSED = env.bool("INSURANCE_AGENCY_LICENSED", default=AUTOFIN_SANDBOX)
# --- offers: an offer's days open; candidates decided per transaction (docs/offers.md)
OFFER_VALID_DAYS = env.int("OFFER_VALID_DAYS", default=30)
OFFERS_BATCH_CHUNK = env.int("OFFERS_BATCH_CHUNK", default=500)
# --- complaints
# Complaint SLA (银保监会令2020年第3号; the rules and who may extend: docs/complaints.md)
COMPLAINT_SLA = {"ack_working_days": env.int("COMPLAINT_ACK_WORKING_DAYS", default=1),
    "resolve_days": env.int("COMPLAINT_RESOLVE_DAYS", default=15),
    "extended_days": env.int("COMPLAINT_EXTENDED_DAYS", default=30),
    "max_days": env.int("COMPLAINT_MAX_DAYS", default=60),
    "confirm_days": env.int("COMPLAINT_CONFIRM_DAYS", default=7)}  # fmt: skip
SURVEY_LINK_DAYS = env.int("SURVEY_LINK_DAYS", default=30)
# --- marketing: the frequency cap (N messages in D days) and attribution days (docs/marketing.md)
MARKETING_FREQUENCY_CAP = env.int("MARKETING_FREQUENCY_CAP", default=4)
MARKETING_FREQUENCY_DAYS = env.int("MARKETING_FREQUENCY_DAYS", default=30)
MARKETING_ATTRIBUTION_DAYS = env.int("MARKETING_ATTRIBUTION_DAYS", default=30)
# --- disbbench: the sandbox bank's latency and first-send timeouts, as a remote bank's
# (benches; 0 = instant, always answering; docs/integrations.md "The sandbox bank")
SANDBOX_BANK_LATENCY_MS = env.int("SANDBOX_BANK_LATENCY_MS", default=0)
SANDBOX_BANK_TIMEOUT_RATE = env.float("SANDBOX_BANK_TIMEOUT_RATE", default=0.0)
# the bench counts the sandbox's round trips (a batch is one) in the cache ("sandbox-bank:calls")
SANDBOX_BANK_COUNT_CALLS = env.bool("SANDBOX_BANK_COUNT_CALLS", default=False)
# A send that timed out is asked about by key this many seconds later (its own task), so a lost
# answer costs seconds, not the recovery sweep's cut-off; 0 leaves it to the sweep.
DISBURSEMENT_TIMEOUT_RECHECK_SECONDS = env.int("DISBURSEMENT_TIMEOUT_RECHECK_SECONDS", default=5)
# --- eodbench: the batch yields to online traffic (servicing.eod.throttle.yield_pause_ms, the
# online p95 from autofin.online_latency; README); HIGH 0 turns it off (tests: the fixed pause)
EOD_YIELD_HIGH_MS = env.int("EOD_YIELD_HIGH_MS", default=0 if TESTING else 300)
EOD_YIELD_LOW_MS = env.int("EOD_YIELD_LOW_MS", default=150)
EOD_YIELD_STEP_MS = env.int("EOD_YIELD_STEP_MS", default=250)
EOD_YIELD_MAX_PAUSE_MS = env.int("EOD_YIELD_MAX_PAUSE_MS", default=4000)
EOD_YIELD_WINDOW_SECONDS = env.int("EOD_YIELD_WINDOW_SECONDS", default=10)
# online p95 kept within this many times its idle figure (taken over the last IDLE_SECONDS
# before the batch opened); the absolute HIGH/LOW apply only when no idle figure is known
EOD_YIELD_TARGET_RATIO = env.float("EOD_YIELD_TARGET_RATIO", default=2.0)
EOD_YIELD_IDLE_SECONDS = env.int("EOD_YIELD_IDLE_SECONDS", default=300)
MIDDLEWARE = ["autofin.online_latency.OnlineLatencyMiddleware", *MIDDLEWARE]
# --- partition
# The journal lines are partitioned by month (docs/scaling.md): `partitions_ensure` (monthly, by
# beat) keeps this many months ahead of the business date created, so a line never waits on DDL.
LEDGER_PARTITION_MONTHS_AHEAD = 3
