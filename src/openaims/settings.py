"""The one settings module: everything that differs between machines comes from AIMS_* variables."""

from __future__ import annotations

import secrets
from pathlib import Path

from openaims.lib.env import (
    ConfigError,
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_secret,
    env_str,
    sqlite_database,
)

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("AIMS_DATA_DIR", "aims-data")).resolve()

DEBUG = env_bool("AIMS_DEBUG", False)

# Without a configured key the process gets a random one: fine for `aims migrate` and tests, but
# sessions would not survive a restart, so `aims serve` refuses to start on it (see cli.serve).
_configured_key = env_secret("AIMS_SECRET_KEY")
if _configured_key is not None and len(_configured_key) < 32:
    raise ConfigError("AIMS_SECRET_KEY must be at least 32 characters long")
SECRET_KEY = _configured_key or secrets.token_urlsafe(50)
SECRET_KEY_IS_EPHEMERAL = _configured_key is None

ALLOWED_HOSTS = env_list("AIMS_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("AIMS_CSRF_TRUSTED_ORIGINS", [])

_database_url = env_str("AIMS_DATABASE_URL")
DATABASES = {
    "default": database_from_url(_database_url) if _database_url else sqlite_database(DATA_DIR / "aims.sqlite3")
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # only so its Swagger UI assets are served locally instead of from a CDN
    "openaims.accounts",
    "openaims.tenancy",
    "openaims.audittrail",
    "openaims.signoff",
    "openaims.comments",
    "openaims.catalog",
    "openaims.inventory",
    "openaims.controls",
    "openaims.risk",
    "openaims.impact",
    "openaims.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "openaims.web.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "openaims.web.middleware.RequestContextMiddleware",
]

ROOT_URLCONF = "openaims.urls"
WSGI_APPLICATION = "openaims.wsgi.application"

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
                "openaims.web.context.shell",
            ],
        },
    }
]

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Session and CSRF: cookies are HTTP-only; Secure when served over HTTPS (AIMS_HTTPS=true).
_https = env_bool("AIMS_HTTPS", False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("AIMS_SESSION_AGE_SECONDS", 8 * 3600, minimum=60)
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
CSRF_FAILURE_VIEW = "openaims.web.views.csrf_failure"
if _https:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # One year. Subdomains only when asked: the server does not know what else runs under its name.
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("AIMS_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy on every HTML response (web/middleware.py): scripts and styles only from our own
# static files, no inline script, no inline style, no framing. Colours that are data (risk levels) are SVG
# fills, not style attributes (risk/_swatch.html). Swagger UI at /api/v1/docs works under the same policy.
AIMS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)

# E-mail (password reset): SMTP when AIMS_EMAIL_HOST is set, otherwise printed to the server's console.
EMAIL_HOST = env_str("AIMS_EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("AIMS_EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("AIMS_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_secret("AIMS_EMAIL_PASSWORD") or ""
_email_security = env_str("AIMS_EMAIL_SECURITY", "starttls").strip().lower()
if _email_security not in {"starttls", "ssl", "none"}:
    raise ConfigError(f"AIMS_EMAIL_SECURITY must be starttls, ssl or none, not {_email_security!r}")
EMAIL_USE_TLS = _email_security == "starttls"
EMAIL_USE_SSL = _email_security == "ssl"
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env_str("AIMS_EMAIL_FROM", "openaims@localhost")

# Request size limits: larger bodies get a 413 (API) or 400 page (web), before anything is parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("AIMS_MAX_REQUEST_BYTES", 2 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# Login throttling (accounts/throttle.py): after MAX_FAILURES failures from one address on one account, or
# ACCOUNT_MAX_FAILURES on one account from anywhere, the next attempt waits DELAY seconds, doubling with
# each further failure up to MAX_DELAY; failures are forgotten after WINDOW seconds of quiet.
AIMS_LOGIN_MAX_FAILURES = env_int("AIMS_LOGIN_MAX_FAILURES", 5, minimum=1)
AIMS_LOGIN_ACCOUNT_MAX_FAILURES = env_int("AIMS_LOGIN_ACCOUNT_MAX_FAILURES", 20, minimum=1)
AIMS_LOGIN_DELAY_SECONDS = env_int("AIMS_LOGIN_DELAY_SECONDS", 60, minimum=1)
AIMS_LOGIN_MAX_DELAY_SECONDS = env_int("AIMS_LOGIN_MAX_DELAY_SECONDS", 3600, minimum=1)
AIMS_LOGIN_WINDOW_SECONDS = env_int("AIMS_LOGIN_WINDOW_SECONDS", 15 * 60, minimum=1)
# Password reset links (e-mailed, or printed by `aims user reset-password`) stop working after this long,
# and as soon as the password changes.
PASSWORD_RESET_TIMEOUT = env_int("AIMS_PASSWORD_RESET_SECONDS", 24 * 3600, minimum=60)
AIMS_INVITATION_DAYS = env_int("AIMS_INVITATION_DAYS", 7, minimum=1)
AIMS_ALLOW_SIGNUP_ORGS = env_bool("AIMS_ALLOW_ORGANIZATION_CREATION", True)
# MLflow sync from the web or API may read file:/sqlite: stores on this server only when this is on
# (the CLI, which already runs on the server, always may); remote http(s)/databricks URIs always work.
AIMS_MLFLOW_LOCAL_STORES = env_bool("AIMS_MLFLOW_LOCAL_STORES", False)
# Where a web/API MLflow sync may connect (SSRF guard, lib/outbound.py): these hosts only (empty: any host), and
# only at public addresses unless AIMS_MLFLOW_ALLOW_PRIVATE (an MLflow inside the network). The CLI is not limited.
AIMS_MLFLOW_ALLOWED_HOSTS = env_list("AIMS_MLFLOW_ALLOWED_HOSTS", [])
AIMS_MLFLOW_ALLOW_PRIVATE = env_bool("AIMS_MLFLOW_ALLOW_PRIVATE", False)

# Bulk imports (CSV/XLSX), bounded while the file is read: its size, its rows, the characters of one cell, and
# what an XLSX archive may unpack to (checked against the sizes it declares before any XML is parsed).
AIMS_IMPORT_MAX_BYTES = env_int("AIMS_IMPORT_MAX_MB", 5, minimum=1) * 1024 * 1024
AIMS_IMPORT_MAX_ROWS = env_int("AIMS_IMPORT_MAX_ROWS", 5_000, minimum=1)
AIMS_IMPORT_MAX_CELL_CHARS = env_int("AIMS_IMPORT_MAX_CELL_CHARS", 32_767, minimum=100)  # Excel's own cell limit
AIMS_IMPORT_XLSX_MAX_UNPACKED_BYTES = env_int("AIMS_IMPORT_XLSX_MAX_UNPACKED_MB", 32, minimum=1) * 1024 * 1024

LANGUAGE_CODE = "en"
TIME_ZONE = env_str("AIMS_TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
# The shared layout's own assets (CSS, vendored htmx); each app keeps its own under <app>/static/.
STATICFILES_DIRS = [BASE_DIR / "static"]
# Only for `collectstatic` behind a separate web server; WhiteNoise serves from the app folders otherwise.
STATIC_ROOT = env_str("AIMS_STATIC_ROOT")
# WhiteNoise serves straight from the app folders: no collectstatic step before the first start.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A refused request (403, an unreadable body) is one line without its traceback; server errors stay whole.
    "filters": {"one_line_refusals": {"()": "openaims.lib.logging.OneLineRefusals"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["one_line_refusals"]}},
    "loggers": {"django.request": {"filters": ["one_line_refusals"]}},
    "root": {"handlers": ["console"], "level": env_str("AIMS_LOG_LEVEL", "WARNING")},
}
