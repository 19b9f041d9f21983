"""Haven's one settings module: everything comes from the environment.

``HAVEN_ENV=production`` turns on the strict checks in ``_refuse_unsafe_production``;
anything else is a developer's machine or a test run.
"""

from __future__ import annotations

import base64
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from haven import env

SRC_DIR = Path(__file__).resolve().parent
BASE_DIR = SRC_DIR.parent.parent
VAR_DIR = Path(env.string("HAVEN_VAR_DIR", str(BASE_DIR / "var")))

HAVEN_ENV = env.choice("HAVEN_ENV", "development", ("development", "production"))
PRODUCTION = HAVEN_ENV == "production"
DEBUG = env.boolean("HAVEN_DEBUG", default=not PRODUCTION)
# The demo waives MFA for roles that see persons, and every page says so in a banner.
HAVEN_DEMO = env.boolean("HAVEN_DEMO", default=False)


def _development_secret(filename: str, nbytes: int) -> str:
    """A random secret kept in var/ so a developer's data survives restarts."""
    path = VAR_DIR / filename
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(base64.b64encode(secrets.token_bytes(nbytes)).decode(), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = env.secret("HAVEN_SECRET_KEY") or (
    "" if PRODUCTION else _development_secret("dev-secret-key", 50)
)
# base64 of 32 random bytes; wraps every organisation's data keys (see privacy/crypto.py).
HAVEN_MASTER_KEY = env.secret("HAVEN_MASTER_KEY") or (
    "" if PRODUCTION else _development_secret("dev-master-key", 32)
)
# Earlier master keys, comma-separated, still accepted for unwrapping until rotate_keys
# has rewrapped every data key with the current one.
HAVEN_RETIRED_MASTER_KEYS = [
    key for key in env.secret("HAVEN_RETIRED_MASTER_KEYS").split(",") if key.strip()
]

ALLOWED_HOSTS = env.word_list("HAVEN_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env.word_list("HAVEN_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_countries",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "haven.organisations",
    "haven.privacy",
    "haven.accounts",
    "haven.casework",
    "haven.services",
    "haven.helpline",
    "haven.shelter",
    "haven.workspace",
    "haven.records",
    "haven.mail",
    "haven.abuse",
    "haven.letters",
    "haven.petitions",
    "haven.events",
    "haven.news",
    "haven.reporting",
    "haven.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Pages compressed for slow connections (a form with long menus: 300 KB → about 30);
    # Django's gzip pads each answer against BREACH, and the CSRF token is masked anyway.
    "django.middleware.gzip.GZipMiddleware",
    "haven.api.middleware.ApiErrorsAsJsonMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "haven.accounts.middleware.IdleSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "haven.abuse.ratelimit.RateLimitMiddleware",
    "haven.timezones.OrganisationTimeZoneMiddleware",
    "haven.accounts.middleware.NoStoreForAuthenticatedMiddleware",
]

ROOT_URLCONF = "haven.urls"
# Form widgets render through TEMPLATES below, so templates/django/forms/ can draw them
# faster (haven/widgets.py); "django.forms" in INSTALLED_APPS supplies the rest.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
WSGI_APPLICATION = "haven.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SRC_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "haven.accounts.context_processors.haven",
            ],
            "libraries": {
                "haven_widgets": "haven.widgets",
                "haven_display": "haven.display",
                "haven_tables": "haven.tables",
            },
        },
    },
]

# --- Database -----------------------------------------------------------------------------

_SQLITE_OPTIONS = {
    # IMMEDIATE makes the audit chain's read-then-append safe between the web process
    # and the task worker; WAL lets readers go on while one of them writes.
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
DATABASE_URL = env.secret("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["OPTIONS"] = dict(_SQLITE_OPTIONS)
elif PRODUCTION:
    DATABASES = {}
else:
    (VAR_DIR / "static").mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "haven.sqlite3"),
            "OPTIONS": dict(_SQLITE_OPTIONS),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Rate limits and lockouts must be shared by every worker process, so the default
# cache lives in the database; HAVEN_REDIS_URL swaps in Redis for larger installations.
_REDIS_URL = env.secret("HAVEN_REDIS_URL")
CACHES = {
    "default": (
        {"BACKEND": "haven.redis_cache.RedisCache", "LOCATION": _REDIS_URL}
        if _REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "haven_cache",
        }
    )
}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Authentication -----------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_ADAPTER = "haven.accounts.adapter.HavenAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PREVENT_ENUMERATION = True
# A reset asked for an address with no account sends nothing: allauth's e-mail would invite
# its owner to sign up, which Haven does not allow (accounts come from invitations).
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_SESSION_REMEMBER = False
# Lockout: after HAVEN_LOGIN_ATTEMPTS failures for one account, by username or e-mail alike,
# or for one unknown login (or 30 a minute from one
# address) every attempt is refused with the same message, whether the account exists
# or not, until the window has passed.
HAVEN_LOGIN_ATTEMPTS = env.integer("HAVEN_LOGIN_ATTEMPTS", 5, minimum=1, maximum=100)
HAVEN_LOCKOUT_MINUTES = env.integer("HAVEN_LOCKOUT_MINUTES", 15, minimum=1, maximum=24 * 60)
ACCOUNT_RATE_LIMITS = {
    "login_failed": f"30/m/ip,{HAVEN_LOGIN_ATTEMPTS}/{HAVEN_LOCKOUT_MINUTES}m/key",
    "login": "60/m/ip",
    "reset_password": "5/m/ip,3/m/key",
    "reset_password_from_key": "20/m/ip",
}

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
# An account's address is the one its invitation reached, so it is verified by then; allauth
# would otherwise refuse a second factor as soon as a password-reset request (which anyone
# can make) left an unverified address row, locking out the roles that must enrol.
MFA_ALLOW_UNVERIFIED_EMAIL = True
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = "Haven"
# A code from the 30 seconds before still counts (RFC 6238, 5.2): typed on a slow phone as
# the window turns, or from a clock a few seconds off, it was refused. allauth still takes
# each code once only.
MFA_TOTP_TOLERANCE = 1
# allauth's second-factor forms: a code refused by the lockout, and a refused security key
# or passkey, put on the audit trail (allauth sends no signal for either); a malformed key
# answer or an oversized key name refused.
MFA_FORMS = {
    "authenticate": "haven.accounts.forms.AuthenticateForm",
    "reauthenticate": "haven.accounts.forms.ReauthenticateForm",
    "authenticate_webauthn": "haven.accounts.forms.AuthenticateWebAuthnForm",
    "reauthenticate_webauthn": "haven.accounts.forms.ReauthenticateWebAuthnForm",
    "login_webauthn": "haven.accounts.forms.LoginWebAuthnForm",
    "add_webauthn": "haven.accounts.forms.AddWebAuthnForm",
    "edit_webauthn": "haven.accounts.forms.EditWebAuthnForm",
}
# Browsers allow WebAuthn on http://localhost only; everything else needs HTTPS.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = not PRODUCTION

# Idle sessions expire HAVEN_SESSION_IDLE_MINUTES after the last request; the deadline is
# renewed at most once a minute (accounts.middleware.IdleSessionMiddleware).
# Django's database sessions, read without compiling an ORM query on every request.
SESSION_ENGINE = "haven.accounts.sessions"
SESSION_COOKIE_AGE = 60 * env.integer("HAVEN_SESSION_IDLE_MINUTES", 30, minimum=5, maximum=720)
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# --- Security headers ---------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env.boolean("HAVEN_SSL_REDIRECT", default=PRODUCTION)
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_HSTS_SECONDS = env.integer("HAVEN_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
# Behind a proxy the client's address is the last one the proxy adds to X-Forwarded-For.
HAVEN_BEHIND_PROXY = env.boolean("HAVEN_BEHIND_PROXY", default=False)
if HAVEN_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# Requests are small; a larger body is refused before any view sees it.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000_000
DATA_UPLOAD_MAX_NUMBER_FIELDS = 500
# Import files (records app, at most 5 MB) stay in memory: personal data never lands in /tmp.
FILE_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024

# --- Languages ----------------------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French")), ("es", _("Spanish"))]
LOCALE_PATHS = [SRC_DIR / "locale"]
USE_I18N = True
USE_TZ = True
# English dates day first and on a 24-hour clock (haven/formats/en/formats.py says why).
FORMAT_MODULE_PATH = ["haven.formats"]
TIME_ZONE = "UTC"
# Stored times and nightly tasks are UTC; an organisation works in the zone it chose, else
# in its country's main zone (haven/timezones.py, decision 39).
HAVEN_ZONE_FROM_COUNTRY = True

# --- Static files and e-mail --------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# haven/ itself is no app, so its stylesheet and htmx need naming here to be found.
STATICFILES_DIRS = [SRC_DIR / "static"]
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

DEFAULT_FROM_EMAIL = env.string("HAVEN_FROM_EMAIL", "Haven <haven@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_HOST = env.string("HAVEN_SMTP_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env.integer("HAVEN_SMTP_PORT", 587, minimum=1, maximum=65535)
    EMAIL_HOST_USER = env.string("HAVEN_SMTP_USER")
    EMAIL_HOST_PASSWORD = env.secret("HAVEN_SMTP_PASSWORD")
    # STARTTLS on the submission port (587), or TLS from the first byte (465).
    EMAIL_USE_SSL = env.boolean("HAVEN_SMTP_SSL", default=False)
    EMAIL_USE_TLS = env.boolean("HAVEN_SMTP_STARTTLS", default=not EMAIL_USE_SSL)
    EMAIL_TIMEOUT = 20
else:
    # The demo and development keep every e-mail in the local outbox (/outbox/).
    EMAIL_BACKEND = "haven.mail.backends.OutboxBackend"

# Public endpoints (sign, register): attempts per IP address and per e-mail address, per
# endpoint. A room of people behind one address (an event's wifi, a mobile carrier's NAT)
# must still be able to sign together, so the per-IP limit is generous.
HAVEN_RATE_PER_IP = env.rate("HAVEN_RATE_PER_IP", "120/10m")
HAVEN_RATE_PER_ADDRESS = env.rate("HAVEN_RATE_PER_ADDRESS", "5/h")
HAVEN_RATE_PER_ADDRESS_ALL = env.rate("HAVEN_RATE_PER_ADDRESS_ALL", "30/h")
# Extra e-mail domains refused on public forms, besides the bundled throw-away domains.
HAVEN_BLOCKED_EMAIL_DOMAINS = env.word_list("HAVEN_BLOCKED_EMAIL_DOMAINS")

HAVEN_BASE_URL = env.string("HAVEN_BASE_URL", "http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.string("HAVEN_LOG_LEVEL", "WARNING")},
}


def _refuse_unsafe_production() -> None:
    """Stop a production server whose configuration would put people at risk."""
    if not PRODUCTION:
        return
    problems = []
    if len(SECRET_KEY) < 50:
        problems.append("HAVEN_SECRET_KEY must be set to at least 50 random characters")
    try:
        master = base64.b64decode(HAVEN_MASTER_KEY, validate=True)
    except ValueError:
        master = b""
    if len(master) != 32:
        problems.append("HAVEN_MASTER_KEY must be base64 of 32 random bytes")
    if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
        problems.append("HAVEN_ALLOWED_HOSTS must list this server's host names")
    if not DATABASES:
        problems.append("DATABASE_URL must point at the production database")
    if DEBUG:
        problems.append("HAVEN_DEBUG must be off")
    if SECURE_HSTS_SECONDS < 31_536_000:
        problems.append("HAVEN_HSTS_SECONDS must be at least one year")
    if not SECURE_SSL_REDIRECT:
        # Behind a TLS proxy, HAVEN_BEHIND_PROXY=1 makes the redirect see HTTPS correctly.
        problems.append("HAVEN_SSL_REDIRECT must stay on: Haven is served over HTTPS only")
    if HAVEN_DEMO:
        problems.append("HAVEN_DEMO waives MFA and must never be on in production")
    if not EMAIL_HOST:
        problems.append("HAVEN_SMTP_HOST must name the SMTP server: Haven confirms by e-mail")
    base = urlsplit(HAVEN_BASE_URL)
    if base.scheme != "https" or base.hostname in (None, "127.0.0.1", "localhost"):
        # Every link in an e-mail starts with it: the default would send them to 127.0.0.1.
        problems.append("HAVEN_BASE_URL must be this site's https:// address")
    if EMAIL_HOST and EMAIL_USE_SSL and EMAIL_USE_TLS:
        problems.append("HAVEN_SMTP_SSL and HAVEN_SMTP_STARTTLS cannot both be on")
    if problems:
        raise ImproperlyConfigured("Refusing to start in production: " + "; ".join(problems))


_refuse_unsafe_production()
