"""Parcelfront settings: one module, driven by the environment (12-factor).

With nothing set everything runs embedded: a SQLite file under ``var/``, kombu's filesystem
broker (works across processes), a local-memory cache and emails stored in the database.
``DATABASE_URL`` switches to PostgreSQL, ``REDIS_URL`` to Redis for the broker, the cache and
the rate limiters. ``DJANGO_ENV=production`` refuses to start without the real services and
secrets, and turns on every ``check --deploy`` hardening.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PARCELFRONT_VAR_DIR", BASE_DIR / "var"))

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# pytest (>= 8.2) announces itself in PYTEST_VERSION: tests get the test profile without ceremony.
DJANGO_ENV = env.str("DJANGO_ENV", default="test" if os.environ.get("PYTEST_VERSION") else "development")
if DJANGO_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be development, test or production, not {DJANGO_ENV!r}")
PRODUCTION = DJANGO_ENV == "production"


def _required(name: str) -> str:
    """A production setting with no default: missing means refuse to start, loudly."""
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when DJANGO_ENV=production")
    return value


if PRODUCTION:
    # ANYMAIL_WEBHOOK_SECRET: without it anyone could post ESP events (bounces suppress addresses).
    for _name in (
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "REDIS_URL",
        "PUBLIC_BASE_URL",
        "ANYMAIL_WEBHOOK_SECRET",
    ):
        _required(_name)
    SECRET_KEY = env.str("SECRET_KEY")
    DEBUG = False
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
else:
    # Development only: a fixed key is fine because nothing real is signed with it.
    SECRET_KEY = env.str("SECRET_KEY", default="dev-insecure-parcelfront-key-do-not-use-in-production")
    DEBUG = env.bool("DEBUG", default=DJANGO_ENV == "development")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["*"])

PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[PUBLIC_BASE_URL])

INSTALLED_APPS = [
    # Django's admin with Parcelfront's site as admin.site: the dashboard home, navigation by task.
    "analytics.admin_apps.ParcelfrontAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "anymail",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "shops",
    "shipments",
    "notifications",
    "campaigns",
    "returns",
    "watchlist",
    "feedback",
    "analytics",
    "tracking_portal",
    "api",
    "integrations",
    "demo",
    "ops",
]

MIDDLEWARE = [
    # First: answers /healthz and /readyz before host checks and the HTTPS redirect (load balancers ask by IP).
    "ops.middleware.OpsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "tracking_portal.middleware.PortalHostMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "shops.middleware.StaffTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        # Customer-facing pages and emails: Jinja2 (shop-edited snippets use a sandbox on top).
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "config.jinja2.environment"},
    },
    {
        # The admin keeps Django templates.
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates" / "django"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'parcelfront.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: WAL lets readers run beside the writer, IMMEDIATE
    # transactions take the write lock up front instead of failing mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 10
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker, cache, rate limiters ------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
REDIS_SOCKET_TIMEOUT = 5  # seconds; a hung Redis must never hang a web request

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "pf",
            "OPTIONS": {
                "socket_timeout": REDIS_SOCKET_TIMEOUT,
                "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "KEY_PREFIX": "pf"}}

# /readyz gives each dependency (database, Redis, broker) this many seconds before naming it as failing.
READYZ_TIMEOUT_SECONDS = env.float("READYZ_TIMEOUT_SECONDS", default=2.0)
# Prometheus: /metrics wants "Authorization: Bearer <METRICS_TOKEN>"; without a token it answers only when the
# deployment says its port is internal (a private bind). Every gunicorn and Celery process writes its samples
# to PROMETHEUS_MULTIPROC_DIR (read by prometheus_client itself, so it must be in their environment).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOW_UNAUTHENTICATED = env.bool("METRICS_ALLOW_UNAUTHENTICATED", default=DJANGO_ENV == "development")
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR", default="")

# --- Celery ---------------------------------------------------------------------------------
if DJANGO_ENV == "test":
    # Tests never leave messages in a shared queue; a test that runs a real worker passes its own URL.
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="memory://")
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
elif REDIS_URL:
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Must exceed the longest task, or an unacked long task is redelivered while running.
        # Long waits (retries of hours) are stored as due times in the database, never as countdowns.
        "visibility_timeout": 3600,
        "socket_timeout": REDIS_SOCKET_TIMEOUT,
        "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
        "retry_on_timeout": True,
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    _queue_dir = VAR_DIR / "celery" / "queue"
    _processed_dir = VAR_DIR / "celery" / "processed"
    _control_dir = VAR_DIR / "celery" / "control"
    for _folder in (_queue_dir, _processed_dir, _control_dir):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_processed_dir),
        "store_processed": False,
        "control_folder": str(_control_dir),  # exchange and pidbox files, else written to the cwd
        # The filesystem transport polls its folder; the default second caps the demo at ~1 task/s.
        "polling_interval": 0.1,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Celery's file scheduler that also records each tick, so `manage.py doctor` can tell beat is running.
CELERY_BEAT_SCHEDULER = "ops.heartbeats:RecordingScheduler"

# --- Email: only through django-anymail -------------------------------------------------------
# The default backend is anymail-based and stores every email in the database (viewable in the
# admin). Pick a real ESP with e.g. EMAIL_BACKEND=anymail.backends.postmark.EmailBackend and its
# credentials as ANYMAIL_<SETTING> variables (ANYMAIL_POSTMARK_SERVER_TOKEN=...).
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="notifications.backends.OutboxEmailBackend")
if DJANGO_ENV == "test":
    EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
ANYMAIL = {key.removeprefix("ANYMAIL_"): value for key, value in os.environ.items() if key.startswith("ANYMAIL_")}
ANYMAIL.setdefault("REQUESTS_TIMEOUT", (5, 20))  # (connect, read) seconds for every ESP call
# Reconciling messages whose provider call may or may not have happened (notifications.reconcile):
# ask the provider only this long after the hand-over (its search lags a little), fall back to resending
# once after a quiet period with no provider event where no lookup exists, and never resend on our own a
# message older than the maximum age (a person decides; the daily digest lists it).
NOTIFICATIONS_RECONCILE_LOOKUP_AFTER_SECONDS = env.float("NOTIFICATIONS_RECONCILE_LOOKUP_AFTER_SECONDS", default=600)
NOTIFICATIONS_RECONCILE_QUIET_SECONDS = env.float("NOTIFICATIONS_RECONCILE_QUIET_SECONDS", default=2 * 3600)
NOTIFICATIONS_RECONCILE_MAX_AGE_SECONDS = env.float("NOTIFICATIONS_RECONCILE_MAX_AGE_SECONDS", default=48 * 3600)
NOTIFICATIONS_RECONCILE_LOOKUP_TIMEOUT_SECONDS = env.float("NOTIFICATIONS_RECONCILE_LOOKUP_TIMEOUT_SECONDS", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Parcelfront <no-reply@parcelfront.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- SMS: a channel of notifications ------------------------------------------------------------
# The default backend stores every SMS in the database (viewable in the admin). SMS_BACKEND=smsapi or
# twilio sends through the platform's account at that gateway; a shop may use its own account instead.
SMS_BACKEND = env.str("SMS_BACKEND", default="outbox")
if SMS_BACKEND not in {"outbox", "smsapi", "twilio"}:
    raise ImproperlyConfigured(f"SMS_BACKEND must be outbox, smsapi or twilio, not {SMS_BACKEND!r}")
SMS_SMSAPI_BASE_URL = env.str("SMS_SMSAPI_BASE_URL", default="https://api.smsapi.pl/")
SMS_SMSAPI_TOKEN = env.str("SMS_SMSAPI_TOKEN", default="")
SMS_TWILIO_BASE_URL = env.str("SMS_TWILIO_BASE_URL", default="https://api.twilio.com/")
SMS_TWILIO_ACCOUNT_SID = env.str("SMS_TWILIO_ACCOUNT_SID", default="")
SMS_TWILIO_AUTH_TOKEN = env.str("SMS_TWILIO_AUTH_TOKEN", default="")
SMS_TWILIO_MESSAGING_SERVICE_SID = env.str("SMS_TWILIO_MESSAGING_SERVICE_SID", default="")
# The sender when a shop names none (an alphanumeric name registered with the gateway).
SMS_DEFAULT_SENDER = env.str("SMS_DEFAULT_SENDER", default="Parcelfront")
SMS_HTTP_TIMEOUT = (env.float("SMS_CONNECT_TIMEOUT", default=5.0), env.float("SMS_READ_TIMEOUT", default=20.0))
# Names the platform account in its delivery-report URL (SMSAPI does not sign its callbacks).
SMS_WEBHOOK_SECRET = env.str("SMS_WEBHOOK_SECRET", default="" if PRODUCTION else "dev-insecure-sms-webhook-secret")
if PRODUCTION and SMS_BACKEND != "outbox":
    SMS_WEBHOOK_SECRET = _required("SMS_WEBHOOK_SECRET")

# --- Carriers -------------------------------------------------------------------------------
# Every carrier's endpoint and credentials come from CARRIER_<CODE>_<FIELD> variables
# (BASE_URL, API_KEY, USERNAME, PASSWORD, ACCOUNT, TIMEOUT); shipments builds adapter configs from them.
CARRIER_ENV = {key: value for key, value in os.environ.items() if key.startswith("CARRIER_")}
CARRIER_HTTP_TIMEOUT = env.float("CARRIER_HTTP_TIMEOUT", default=10.0)
# Carrier calls in flight per batch task (threads sharing one HTTP client); read by shipments.dispatch.
CARRIER_FETCH_CONCURRENCY = env.int("CARRIER_FETCH_CONCURRENCY", default=8)
# Seconds between the polling dispatcher's beat ticks (config.celery's beat schedule; the demo uses 5).
POLL_DISPATCH_SECONDS = env.float("POLL_DISPATCH_SECONDS", default=30.0)
# Shrinks every polling interval; only for the demo, whose fake carrier plays journeys 720x faster.
POLLING_TIME_SCALE = env.float("POLLING_TIME_SCALE", default=1.0)
if not 0 < POLLING_TIME_SCALE <= 1 or (PRODUCTION and POLLING_TIME_SCALE != 1):
    raise ImproperlyConfigured("POLLING_TIME_SCALE must be in (0, 1], and 1 in production")

# Tasks published by name (no import against the dependency direction) for every new StatusChange,
# each taking ``status_change_id``; each consumer is idempotent and sweeps what it missed.
STATUS_CHANGE_TASKS = ("notifications.process_status_change", "api.status_change_webhooks")
# Tasks published by name after an apply stored new events or changed the status (a reason-only change
# too), each taking ``shipment_id``: the watchlist looks at the parcel again.
SHIPMENT_UPDATED_TASKS = ("watchlist.evaluate_shipment", "analytics.refresh_shipment")
# The same consumers for a poll batch: one task per batch with every id (``status_change_ids`` /
# ``shipment_ids``); each re-publishes an id that failed to its single task above, which has the retries.
STATUS_CHANGE_BATCH_TASKS = ("notifications.process_status_changes", "api.status_change_webhooks_batch")
SHIPMENT_UPDATED_BATCH_TASKS = ("watchlist.evaluate_shipments", "analytics.refresh_shipments")
# Parcels to this country are domestic for the watchlist's default stalled threshold.
WATCHLIST_HOME_COUNTRY = env.str("WATCHLIST_HOME_COUNTRY", default="PL")
# A lane teaches delivery estimates once this many deliveries were measured on it (fewer: promised day or none).
ANALYTICS_ESTIMATE_MIN_SAMPLES = env.int("ANALYTICS_ESTIMATE_MIN_SAMPLES", default=10)

# --- REST API and outgoing webhooks ------------------------------------------------------------
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)  # larger request bodies get a 413
API_RATE_LIMIT_PER_MINUTE = env.int("API_RATE_LIMIT_PER_MINUTE", default=600)  # per API key
# Webhook URLs resolving to loopback are refused unless this is set (tests, local demo receivers).
WEBHOOKS_ALLOW_LOOPBACK = env.bool("WEBHOOKS_ALLOW_LOOPBACK", default=False)

# --- Shop connectors (integrations) -----------------------------------------------------------
# BaseLinker's one RPC endpoint; the demo points it at its loopback fake. Shop-provided URLs (Shopify,
# WooCommerce) go through the SSRF-safe transport, which refuses loopback unless this is set (tests, demo).
BASELINKER_API_URL = env.str("BASELINKER_API_URL", default="https://api.baselinker.com/connector.php")
INTEGRATIONS_ALLOW_LOOPBACK = env.bool("INTEGRATIONS_ALLOW_LOOPBACK", default=False)
INTEGRATIONS_HTTP_TIMEOUT = env.float("INTEGRATIONS_HTTP_TIMEOUT", default=15.0)
# Seconds between the pollers' beat ticks (BaseLinker's journal, WooCommerce's back-fill).
INTEGRATIONS_SYNC_SECONDS = env.float("INTEGRATIONS_SYNC_SECONDS", default=120.0)
# Webhook bodies larger than this are refused with 413.
INTEGRATIONS_MAX_WEBHOOK_BYTES = env.int("INTEGRATIONS_MAX_WEBHOOK_BYTES", default=1024 * 1024)

# --- Public pages ---------------------------------------------------------------------------
# Trusted reverse proxies in front of the app (1 behind nginx), so lookup rate limits see real clients.
TRACKING_PORTAL_PROXY_COUNT = env.int("TRACKING_PORTAL_PROXY_COUNT", default=0)
# A rendered order page stays in the shared cache this long (it is keyed by order version, so never stale).
TRACKING_PORTAL_PAGE_CACHE_SECONDS = env.int("TRACKING_PORTAL_PAGE_CACHE_SECONDS", default=300)
# A hot order's version is read from the database at most once per this many seconds per process.
TRACKING_PORTAL_KEY_SECONDS = env.float("TRACKING_PORTAL_KEY_SECONDS", default=1.0)
# Page views are counted in memory and written this often; a crashed process loses at most these seconds.
TRACKING_PORTAL_VIEW_FLUSH_SECONDS = env.int("TRACKING_PORTAL_VIEW_FLUSH_SECONDS", default=30)
# Lookup form limits per window: per client address (a household or office behind one NAT, not a crawl)
# and per order or tracking number (a customer's typos, not guessing emails or postcodes).
TRACKING_PORTAL_LOOKUP_WINDOW_SECONDS = env.int("TRACKING_PORTAL_LOOKUP_WINDOW_SECONDS", default=15 * 60)
TRACKING_PORTAL_LOOKUPS_PER_CLIENT = env.int("TRACKING_PORTAL_LOOKUPS_PER_CLIENT", default=30)
TRACKING_PORTAL_LOOKUPS_PER_ORDER = env.int("TRACKING_PORTAL_LOOKUPS_PER_ORDER", default=10)

# --- Customer feedback (score links, follow-up answers, alerts) ----------------------------------------
# Votes and answers posted per score link and per client within the window (one answer is one POST).
FEEDBACK_RATE_WINDOW_SECONDS = env.int("FEEDBACK_RATE_WINDOW_SECONDS", default=15 * 60)
FEEDBACK_POSTS_PER_ORDER = env.int("FEEDBACK_POSTS_PER_ORDER", default=60)
FEEDBACK_POSTS_PER_CLIENT = env.int("FEEDBACK_POSTS_PER_CLIENT", default=300)
# A response is announced (webhook, detractor alert, campaign) once unchanged for this long, so a customer
# who changes the score or adds a comment right after the click causes one announcement, not five.
FEEDBACK_SETTLE_SECONDS = env.int("FEEDBACK_SETTLE_SECONDS", default=5 * 60)

# --- Staff login protection ------------------------------------------------------------------
# django-axes counts failed logins per account and, separately, per client address (the address comes
# from shops.client_ip, the same trusted-proxy rule as the lookup limiter: TRACKING_PORTAL_PROXY_COUNT; IPv6 per /64).
# Reaching the limit on either locks that account or address out, right password or not, until cooled off.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "shops.client_ip.client_ip_for_throttling"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ADMIN = False  # lockouts are platform data, not a shop's: reset with ./dev manage axes_reset
# TOTP two-factor for staff: owners (and superusers), everyone with admin access, or nobody. Anyone who
# enrolled a device is asked for a code regardless. Enrol at /staff/2fa/setup/.
STAFF_2FA_REQUIRED = env.str("STAFF_2FA_REQUIRED", default="owners" if PRODUCTION else "off")
if STAFF_2FA_REQUIRED not in {"owners", "all", "off"}:
    raise ImproperlyConfigured(f"STAFF_2FA_REQUIRED must be owners, all or off, not {STAFF_2FA_REQUIRED!r}")
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Parcelfront")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the superuser's device admin never shows a TOTP secret
# Sessions end after 12 hours; a password change ends every other session of that account (session auth hash).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 60 * 60)
SHOP_INVITATION_TTL_HOURS = env.int("SHOP_INVITATION_TTL_HOURS", default=72)

# --- Auth, i18n, static ---------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("pl", "Polski"), ("en", "English"), ("de", "Deutsch"), ("cs", "Čeština"), ("sk", "Slovenčina")]
# The gettext catalogs of every word customers read (babel.cfg says how to update them; ./dev compiles them).
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Warsaw"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The largest CSV upload (orders, catalog, codes, redemptions); config.csv_files refuses bigger files unread.
RETURN_PHOTO_MAX_BYTES = env.int("RETURN_PHOTO_MAX_BYTES", default=5 * 1024 * 1024)
# The largest return label PDF the shop may upload (returns.labels refuses bigger files unread).
RETURN_LABEL_MAX_BYTES = env.int("RETURN_LABEL_MAX_BYTES", default=5 * 1024 * 1024)
CSV_MAX_UPLOAD_BYTES = env.int("CSV_MAX_UPLOAD_BYTES", default=5 * 1024 * 1024)
FILE_UPLOAD_PERMISSIONS = 0o640

# Media (brand images, return photos, labels): the local MEDIA_ROOT, or S3-compatible object storage when
# MEDIA_S3_BUCKET is set (config.storage: private bucket, signed URLs, brand images under shops/ public).
MEDIA_S3_BUCKET = env.str("MEDIA_S3_BUCKET", default="")
if MEDIA_S3_BUCKET:
    from botocore.config import Config as BotocoreConfig

    _media_storage = {
        "BACKEND": "config.storage.MediaStorage",
        "OPTIONS": {
            "bucket_name": MEDIA_S3_BUCKET,
            "endpoint_url": env.str("MEDIA_S3_ENDPOINT_URL", default="") or None,  # empty: AWS itself
            "region_name": env.str("MEDIA_S3_REGION", default="") or None,
            # Empty: boto3's own chain (an instance role, AWS_* variables, ~/.aws).
            "access_key": env.str("MEDIA_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("MEDIA_S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("MEDIA_S3_PREFIX", default="media"),
            "public_base_url": env.str("MEDIA_S3_PUBLIC_URL", default=""),
            "querystring_auth": True,
            "querystring_expire": env.int("MEDIA_S3_SIGNED_URL_SECONDS", default=3600),
            "file_overwrite": False,
            "default_acl": None,
            # Checksums only where S3 requires them: several S3-compatible stores reject botocore's newer defaults.
            "client_config": BotocoreConfig(
                s3={"addressing_style": env.str("MEDIA_S3_ADDRESSING_STYLE", default="path")},
                signature_version="s3v4",
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
                connect_timeout=5,
                read_timeout=30,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        },
    }
else:
    _media_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _media_storage,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Logs and error tracking -------------------------------------------------------------------
# LOG_FORMAT=json: one JSON object per line with request_id, shop_id and task_id (config.logs); "plain" otherwise.
# Both mask link tokens, secrets, emails and phone numbers (config.redaction).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
# Celery workers keep their own readable format unless the lines must be JSON like everyone else's.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "config.logs.LogContextFilter"},
        "sensitive": {"()": "config.redaction.SensitiveDataFilter"},
    },
    "formatters": {
        "plain": {"()": "config.logs.PlainFormatter", "format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "config.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["context", "sensitive"]}
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # httpx logs every carrier request at INFO: thousands a minute in production.
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}

for _folder in (VAR_DIR, STATIC_ROOT, MEDIA_ROOT):
    _folder.mkdir(parents=True, exist_ok=True)

# Sentry (error tracking) only when SENTRY_DSN is set: Django and Celery integrations, no personal data
# (send_default_pii off, and config.sentry scrubs emails, phones and tokens from every event).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default=DJANGO_ENV)
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
if SENTRY_DSN:
    from config.sentry import sentry_init

    sentry_init(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT, traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE)
