"""Haven's one settings module. Every knob is an environment variable; see ``.env.example``.

``HAVEN_ENV`` picks the defaults: ``production`` (the default for the WSGI/ASGI entry points:
secrets required, secure cookies, HSTS), ``development`` (``manage.py``'s default: embedded
SQLite, console e-mail, in-process tasks) or ``test``.
"""

from __future__ import annotations

import base64
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import (
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_json,
    env_list,
    env_secret,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("HAVEN_VAR_DIR", str(BASE_DIR / "var")))

HAVEN_ENV = env_choice("HAVEN_ENV", "production", ("development", "test", "production"))
PRODUCTION = HAVEN_ENV == "production"
DEBUG = env_bool("DEBUG", HAVEN_ENV == "development")
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when HAVEN_ENV=production")

SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) is required in production")
    SECRET_KEY = "development-only-key-never-used-in-production-" + "x" * 20
elif PRODUCTION and len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long")

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required in production (comma-separated)")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "config.apps.HavenAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "anymail",
    "geo",
    "audit",
    "idempotency",
    "directory",
    "accounts",
    "consent",
    "referrals",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "config.csrf.SameOriginNullOriginMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionLimitsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.middleware.SecurityHeadersMiddleware",
    # Last, so it sees the outcome of every authentication attempt.
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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "directory.context_processors.member_navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
# Embedded SQLite unless DATABASE_URL says otherwise. SQLite overwrites deleted content
# (secure_delete) so destroyed packets do not linger in free pages, and takes the write lock
# at BEGIN so concurrent writers queue instead of failing on lock upgrade.
DATABASE_URL = env_str("DATABASE_URL")
if not DATABASE_URL:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASE_URL = f"sqlite:///{VAR_DIR / 'haven.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA secure_delete=ON; PRAGMA foreign_keys=ON; PRAGMA journal_mode=WAL; "
            "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000; "
            # A 32 MB page cache per connection keeps the search index in memory.
            "PRAGMA cache_size=-32768;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The search index INCLUDEs its key for PostgreSQL's index-only scans; SQLite keeps the key in
# every index already, so the warning that it ignores INCLUDE says nothing useful.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# Rate limits must be shared by every web worker: production needs Redis.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if REDIS_URL := env_str("REDIS_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": REDIS_URL}}  # fmt: skip
elif PRODUCTION:
    raise ImproperlyConfigured("REDIS_URL is required in production (shared rate limits)")

# --- Accounts, sign-in and sessions ---------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if HAVEN_ENV == "test":
    # Hashing strength is not what the tests test; speed is what they need.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "accounts.validators.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]  # fmt: skip
LOGIN_URL = "accounts:sign-in"
LOGIN_REDIRECT_URL = "accounts:home"
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3600, minimum=300)
HAVEN_INVITATION_DAYS = env_int("HAVEN_INVITATION_DAYS", 3, minimum=1, maximum=30)
# Signed-in sessions end after this much inactivity, and in any case after the absolute limit.
HAVEN_SESSION_IDLE_MINUTES = env_int("HAVEN_SESSION_IDLE_MINUTES", 30, minimum=1)
HAVEN_SESSION_MAX_HOURS = env_int("HAVEN_SESSION_MAX_HOURS", 12, minimum=1)
SESSION_COOKIE_AGE = HAVEN_SESSION_MAX_HOURS * 3600
# Read from the cache (Redis in production), written through to the database.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
OTP_TOTP_ISSUER = env_str("HAVEN_NETWORK_NAME", "Haven")
# A network running a public demo may show demo accounts their current code on the sign-in
# page. Never in production.
HAVEN_DEMO_MODE = env_bool("HAVEN_DEMO_MODE", HAVEN_ENV == "development")
if PRODUCTION and HAVEN_DEMO_MODE:
    raise ImproperlyConfigured("HAVEN_DEMO_MODE cannot be on in production")

# Brute force: lock an e-mail + address pair out after repeated failures (django-axes).
AXES_FAILURE_LIMIT = env_int("HAVEN_SIGN_IN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("HAVEN_SIGN_IN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "email"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_VERBOSE = False
AXES_ENABLE_ADMIN = False
# Behind the TLS proxy, the client address is the last hop it appends.
AXES_IPWARE_PROXY_COUNT = env_int("HAVEN_PROXY_COUNT", 1 if PRODUCTION else 0, minimum=0)
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

# --- Internationalisation ------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files --------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# --- Security headers ----------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "no-referrer"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 63072000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    LANGUAGE_COOKIE_NAME = "__Host-language"
    LANGUAGE_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# --- API -----------------------------------------------------------------------------------
_unlimited = "1000000/min" if HAVEN_ENV == "test" else ""
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["config.renderers.FastJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["config.parsers.StrictJSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",
        "accounts.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.IsVerifiedMember"],
    "DEFAULT_THROTTLE_CLASSES": [
        "accounts.throttles.AnonymousThrottle",
        "accounts.throttles.MemberThrottle",
        "accounts.throttles.TokenThrottle",
    ],
    # The suite makes thousands of calls from one address; its throttle tests set their own.
    "DEFAULT_THROTTLE_RATES": {
        "anonymous": env_str("HAVEN_THROTTLE_ANONYMOUS", _unlimited or "120/min"),
        "member": env_str("HAVEN_THROTTLE_MEMBER", _unlimited or "600/min"),
        "token": env_str("HAVEN_THROTTLE_TOKEN", _unlimited or "1200/min"),
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Haven API",
    "DESCRIPTION": (
        "Victim-services directory search and, for members, beds, holds, consent and sealed "
        "referrals. Errors are JSON objects with `detail` and `code`. Something of another "
        "organisation's is a 404, as if it did not exist. Too many requests are a 429 with "
        "`Retry-After`. An optional query parameter sent empty counts as left out. POSTs that "
        "create something take an `Idempotency-Key`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "PopulationEnum": "directory.models.Population",
        "CategoryEnum": "directory.models.Category",
        "AccessibilityFeatureEnum": "directory.models.AccessibilityFeature",
        "CapacityStatusEnum": "directory.models.Capacity.Status",
        "HoldStatusEnum": "directory.models.Hold.Status",
        "FreshnessEnum": "directory.beds.Freshness",
        "RoleEnum": "directory.models.Membership.Role",
        "ScopeEnum": "accounts.models.ApiToken.Scope",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api.add_error_responses",
    ],
}

# --- Background tasks (django-tasks) -----------------------------------------------------------
# In process while developing and testing; in production a database queue worked by
# `manage.py db_worker` (one or more processes, apart from the web workers).
TASKS = {
    "default": {
        "BACKEND": env_str(
            "HAVEN_TASK_BACKEND",
            "django_tasks_db.DatabaseBackend"
            if PRODUCTION
            else "django_tasks.backends.immediate.ImmediateBackend",
        )
    }
}

# --- E-mail --------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Haven <noreply@haven.invalid>")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if HAVEN_ENV == "development"
    else "django.core.mail.backends.locmem.EmailBackend"
    if HAVEN_ENV == "test"
    else "django.core.mail.backends.smtp.EmailBackend",
)
ANYMAIL = env_json("ANYMAIL", {})

# --- Logging -------------------------------------------------------------------------------
# Records carry what happened and to which opaque id, never what anyone typed: request
# logging below WARNING is off, and query strings are never logged.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# --- Haven ---------------------------------------------------------------------------------
# Search
HAVEN_SEARCH_DEFAULT_RADIUS_MI = 25
HAVEN_SEARCH_MAX_RADIUS_MI = 200
HAVEN_SEARCH_PAGE_SIZE = env_int("HAVEN_SEARCH_PAGE_SIZE", 20, minimum=1, maximum=100)
# Confidential locations are ranked and measured from the centre of a grid cell this wide.
HAVEN_CONFIDENTIAL_GRID_KM = env_float("HAVEN_CONFIDENTIAL_GRID_KM", 5.0, minimum=1.0)
# Listings not verified for this many days are flagged for the steward.
HAVEN_LISTING_STALE_DAYS = env_int("HAVEN_LISTING_STALE_DAYS", 180, minimum=1)
# HSDS import: a zipped package may unpack to at most this many megabytes (a zip bomb stops).
HAVEN_IMPORT_MAX_MB = env_int("HAVEN_IMPORT_MAX_MB", 4096, minimum=1)

# Beds: how long a hold keeps a bed, and how old a count may be before it is "aging",
# "stale" and finally "unknown" (hidden: call to confirm). Search's "has beds" trusts counts
# up to HAVEN_BEDS_TRUST_HOURS old.
HAVEN_HOLD_MINUTES = env_int("HAVEN_HOLD_MINUTES", 90, minimum=5, maximum=24 * 60)
HAVEN_BEDS_AGING_HOURS = env_int("HAVEN_BEDS_AGING_HOURS", 4, minimum=1)
HAVEN_BEDS_STALE_HOURS = env_int("HAVEN_BEDS_STALE_HOURS", 12, minimum=1)
HAVEN_BEDS_UNKNOWN_HOURS = env_int("HAVEN_BEDS_UNKNOWN_HOURS", 24, minimum=1)
HAVEN_BEDS_TRUST_HOURS = env_int("HAVEN_BEDS_TRUST_HOURS", 12, minimum=1)
if not HAVEN_BEDS_AGING_HOURS < HAVEN_BEDS_STALE_HOURS < HAVEN_BEDS_UNKNOWN_HOURS:
    raise ImproperlyConfigured("HAVEN_BEDS_AGING_HOURS < _STALE_HOURS < _UNKNOWN_HOURS, please")

# Geocoding: offline gazetteer always; a network geocoder (any geopy service name, such as
# "nominatim" or "arcgis") only when HAVEN_GEOCODER is set: for street-address search, and
# for imported HSDS locations that the gazetteer cannot place.
HAVEN_GEOCODER = env_str("HAVEN_GEOCODER")
HAVEN_GEOCODER_OPTIONS = env_json("HAVEN_GEOCODER_OPTIONS", {})
HAVEN_GEOCODER_QUERY_OPTIONS = env_json("HAVEN_GEOCODER_QUERY_OPTIONS", {})
HAVEN_GEOCODER_TIMEOUT = env_float("HAVEN_GEOCODER_TIMEOUT", 3.0, minimum=0.1)
HAVEN_GEOCODER_MIN_DELAY = env_float("HAVEN_GEOCODER_MIN_DELAY", 1.0, minimum=0.0)
HAVEN_GEOCODER_CACHE_DAYS = env_int("HAVEN_GEOCODER_CACHE_DAYS", 30, minimum=1)

# Consent (DESIGN.md §6): the longest a consent may last; whether consent given only out loud,
# with a witness, is accepted at all; how long a signing link works; the survivor portal's
# lockouts (wrong PINs per receipt, failures per address per hour) and how long it stays open.
HAVEN_CONSENT_MAX_DAYS = env_int("HAVEN_CONSENT_MAX_DAYS", 30, minimum=1, maximum=366)
HAVEN_CONSENT_ALLOW_VERBAL = env_bool("HAVEN_CONSENT_ALLOW_VERBAL", False)
HAVEN_CONSENT_LINK_MINUTES = env_int("HAVEN_CONSENT_LINK_MINUTES", 15, minimum=5, maximum=60)
HAVEN_PORTAL_RECEIPT_LIMIT = env_int("HAVEN_PORTAL_RECEIPT_LIMIT", 5, minimum=3, maximum=20)
HAVEN_PORTAL_LOCK_MINUTES = env_int("HAVEN_PORTAL_LOCK_MINUTES", 30, minimum=1)
HAVEN_PORTAL_ADDRESS_LIMIT = env_int("HAVEN_PORTAL_ADDRESS_LIMIT", 20, minimum=5)
HAVEN_PORTAL_MINUTES = env_int("HAVEN_PORTAL_MINUTES", 15, minimum=5, maximum=120)
# Where "Leave this site now" goes: an ordinary page that gives nothing away.
HAVEN_QUICK_EXIT_URL = env_str("HAVEN_QUICK_EXIT_URL", "https://weather.com/")

# Referrals (DESIGN.md §7). The key-encryption key wraps organisations' private keys: 32 random
# bytes in base64, in HAVEN_KEK or the file HAVEN_KEK_FILE — never SECRET_KEY, never in the
# database. Production refuses to start without it; development keeps one in var/.
# Tests use a fresh one per process.
HAVEN_KEK = env_str(
    "HAVEN_KEK", base64.b64encode(os.urandom(32)).decode() if HAVEN_ENV == "test" else ""
)
HAVEN_KEK_FILE = env_str(
    "HAVEN_KEK_FILE", str(VAR_DIR / "haven-development.kek") if HAVEN_ENV == "development" else ""
)
HAVEN_KEK_CREATE = HAVEN_ENV == "development"
if PRODUCTION and not (HAVEN_KEK or HAVEN_KEK_FILE):
    raise ImproperlyConfigured(
        "HAVEN_KEK (or HAVEN_KEK_FILE) is required in production: the key-encryption key "
        "for organisations' private keys (32 random bytes, base64; not SECRET_KEY)"
    )
# The HPKE suite new keys use: "x25519" or the post-quantum hybrid "mlkem768-x25519".
HAVEN_PACKET_SUITE = env_choice("HAVEN_PACKET_SUITE", "x25519", ("x25519", "mlkem768-x25519"))
HAVEN_REFERRAL_DECIDE_HOURS = env_int("HAVEN_REFERRAL_DECIDE_HOURS", 4, minimum=1, maximum=72)
HAVEN_REFERRAL_ESCALATE_MINUTES = env_int("HAVEN_REFERRAL_ESCALATE_MINUTES", 15, minimum=1)
HAVEN_PACKET_KEEP_DAYS = env_int("HAVEN_PACKET_KEEP_DAYS", 14, minimum=1, maximum=90)
# Notifications: attempts before giving up, and the first retry's delay (doubling each time).
HAVEN_NOTIFY_MAX_ATTEMPTS = env_int("HAVEN_NOTIFY_MAX_ATTEMPTS", 8, minimum=1, maximum=20)
HAVEN_NOTIFY_BACKOFF_SECONDS = env_int("HAVEN_NOTIFY_BACKOFF_SECONDS", 30, minimum=1)
# A worker delivering an e-mail holds it this long; if the worker dies, the e-mail is due again
# after it. Keep it longer than the ESP's time-out (anymail's REQUESTS_TIMEOUT, 30 s by default).
HAVEN_NOTIFY_LEASE_SECONDS = env_int("HAVEN_NOTIFY_LEASE_SECONDS", 120, minimum=10, maximum=3600)
