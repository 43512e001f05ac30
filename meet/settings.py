"""Settings, all read from the environment with embedded defaults.

Embedded default (no variables set): SQLite file under ``var/``, in-memory channel
layer, console e-mail, static files served by whitenoise from the app.
Production (``MEET_MODE=production``): refuses a default secret or DEBUG on.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import dj_database_url
import dj_email_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from mediaworker.logs import log_format
from meet.env import env_bool, env_list, env_rates, env_signin_providers

# Lets admin, forms and DRF classes be written with type parameters, e.g. ModelAdmin[Unit].
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MEET_VAR_DIR", BASE_DIR / "var"))

MODE = os.environ.get("MEET_MODE", "embedded")
if MODE not in {"embedded", "production"}:
    raise ImproperlyConfigured("MEET_MODE must be 'embedded' or 'production'.")
PRODUCTION = MODE == "production"

DEFAULT_SECRET_KEY = "meet-embedded-default-secret-key-not-for-production"
SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
DEBUG = env_bool("DEBUG", default=False)

if PRODUCTION:
    if SECRET_KEY == DEFAULT_SECRET_KEY or len(SECRET_KEY) < 32:
        raise ImproperlyConfigured(
            "Production mode needs SECRET_KEY set to a random value of 32+ characters."
        )
    if DEBUG:
        raise ImproperlyConfigured("Production mode refuses to start with DEBUG on.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[])

# The public host of the rooms: a room's address is https://<MEET_ROOM_HOST>/<slug>.
MEET_ROOM_HOST = os.environ.get("MEET_ROOM_HOST", "hop.edu.net.vn")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",  # the archive's sitemap.xml (archive/portal)
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files, not a CDN
    "csp",
    "axes",
    "channels",
    "meet",
    "rooms",
    "identity",
    "scheduling",
    "signaling",
    "broadcasts",
    "archive",
    "competitions",
    "courses",
    # The task queue that delivers mail (see TASKS below).
    "django_tasks",
    "django_tasks_db",
    # Sign-in with the accounts teachers already have (docs/signin.md): allauth's social
    # accounts only; its own password pages are not routed (identity/urls.py). Last, so
    # that its translations never override ours for the same English text.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.microsoft",
    "allauth.socialaccount.providers.google",
]

MIDDLEWARE = [
    # Outermost: every response carries its X-Request-ID and is counted (meet/logs.py,
    # meet/metrics.py), whatever the middleware below answers.
    "meet.logs.request_id",
    "meet.metrics.request_metrics",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy, per page (meet/headers.py). High up,
    # so that error responses of the middleware below carry them too.
    "meet.headers.PagePolicyMiddleware",
    "meet.headers.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "meet.middleware.LanguageMiddleware",
    "meet.middleware.NulRefusedMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Axes must come last: it inspects the response of a failed login.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "meet.urls"
ASGI_APPLICATION = "meet.asgi.application"
WSGI_APPLICATION = None

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
                "meet.context_processors.product",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'meet.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the page views read while a background job writes. In WAL mode
    # synchronous=NORMAL syncs at checkpoints, not on every commit: a crash of the process
    # loses nothing committed (only a power cut may undo the last transactions, never
    # corrupting the file), and a live-room join's commit costs a fraction.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py caps its pool at 100 connections; joins in bulk need more
            # (shared/MEASURED.md).
            "CONFIG": {"hosts": [{"address": REDIS_URL, "max_connections": 1000}]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"

# --- Sign-in through OpenID Connect providers (identity/, docs/signin.md) -------------------
# The deployment's providers (Microsoft 365, Google Workspace, any OIDC server such as a
# province's Keycloak) from MEET_SIGNIN_PROVIDERS; a department's own are added in the admin.
SOCIALACCOUNT_PROVIDERS = env_signin_providers("MEET_SIGNIN_PROVIDERS")
SOCIALACCOUNT_ADAPTER = "identity.adapter.SignInAdapter"
ACCOUNT_ADAPTER = "identity.adapter.AccountAdapter"
# Linking by e-mail is ours (identity/adapter.py): only a verified, allowed address, and
# without allauth's password wipe (our accounts are made by administrators, not by visitors).
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = int(os.environ.get("MEET_SIGNIN_TIMEOUT_SECS", "10"))
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PRODUCTION else "http"
LOGIN_REDIRECT_URL = "rooms:directory"
LOGOUT_REDIRECT_URL = "rooms:directory"

# Lock an account + address pair after repeated failures (django-axes).
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# The client's address is REMOTE_ADDR, which meet/proxies.py sets from X-Forwarded-For only
# when the peer is a trusted proxy. Named explicitly so that django-ipware, should it ever
# be installed, never makes axes read a header any client can forge.
AXES_CLIENT_IP_CALLABLE = "meet.proxies.request_client_address"

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Ho_Chi_Minh")
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "meet_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"

STATIC_URL = "/static/"
# collectstatic is for production; the embedded default serves from the source folders.
STATIC_ROOT = VAR_DIR / "static" if PRODUCTION else None
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Be Vietnam Pro, a typeface made for Vietnamese, from its PyPI package.
    ("fonts", str(resources.files("fontpkg_be_vietnam_pro") / "files")),
]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
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
# The embedded default serves static files straight from the source folders.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

# --- Mail (scheduling/services/outbox.py) ----------------------------------------------------
# One EMAIL_URL (dj-email-url): smtp://user:password@host:587/?tls=True&timeout=20, or
# ?ssl=True for implicit TLS on 465, console: for the terminal. Unset: the terminal in the
# embedded default, localhost:25 in production. The password is never logged.
EMAIL_URL = os.environ.get("EMAIL_URL", "smtp://localhost:25" if PRODUCTION else "console:")
_email = dj_email_url.parse(EMAIL_URL)
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    _email.get("EMAIL_BACKEND") or "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _email["EMAIL_PORT"] or 25
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
# A mail server that never answers must not hold the task worker forever.
EMAIL_TIMEOUT = _email["EMAIL_TIMEOUT"] or 30
del _email
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", f"noreply@{MEET_ROOM_HOST}")
# Every mail goes through the task queue (django-tasks, database backend): a failed send is
# tried again after 1, 2, 4 ... minutes (at most MEET_MAIL_RETRY_MAX_SECS apart), and after
# MEET_MAIL_MAX_ATTEMPTS tries it is recorded as failed and shown on the meeting page.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
MEET_MAIL_MAX_ATTEMPTS = int(os.environ.get("MEET_MAIL_MAX_ATTEMPTS", "10"))
MEET_MAIL_RETRY_BASE_SECS = int(os.environ.get("MEET_MAIL_RETRY_BASE_SECS", "60"))
MEET_MAIL_RETRY_MAX_SECS = int(os.environ.get("MEET_MAIL_RETRY_MAX_SECS", str(6 * 3600)))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First: its 403 for anonymous requests stays the API's answer (docs/security.md).
        "rest_framework.authentication.SessionAuthentication",
        # Personal access tokens for a department's own systems (identity/, docs/signin.md).
        "identity.authentication.AccessTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "meet API",
    "DESCRIPTION": "Rooms, organisation directory and meeting sites of meet.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from drf-spectacular-sidecar's static files (no third-party script).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# Reverse proxies whose X-Forwarded-For/-Proto are believed (meet/proxies.py): comma-separated
# addresses or networks. Empty: trust none, every address is the TCP peer's.
MEET_TRUSTED_PROXIES = env_list("MEET_TRUSTED_PROXIES", default=[])
# Concurrent WebSocket connections one client address may hold (meet/websocket_limits.py).
MEET_WS_MAX_PER_ADDRESS = int(os.environ.get("MEET_WS_MAX_PER_ADDRESS", "200"))

# Where the running program's source can be had: the footer links to it (AGPL-3.0-or-later
# section 13 asks a network service to offer its source to its users). pyproject names no
# public repository, so the default is /source/, the tree this process runs (meet/source.py).
MEET_SOURCE_URL = os.environ.get("MEET_SOURCE_URL", "").strip() or "/source/"

# Content-Security-Policy (django-csp): no inline script or style anywhere, nothing from
# another origin. meet/headers.py adds the page's own ws:/wss: origin to connect-src and
# lets the portal's embeddable player be framed. Extra origins for media (a CDN serving
# hls/): MEET_CSP_MEDIA_ORIGINS.
_MEDIA_ORIGINS = env_list("MEET_CSP_MEDIA_ORIGINS", default=[])
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Swagger UI's and the browser's own icons are data: images; slides are blob:.
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'"],
        # hls.js plays through Media Source Extensions: blob: media and worker.
        "media-src": ["'self'", "blob:", *_MEDIA_ORIGINS],
        "worker-src": ["'self'", "blob:"],
        "connect-src": ["'self'", *_MEDIA_ORIGINS],
        "frame-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the self-test page reads it to post JSON
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    # Probed and scraped over plain HTTP from inside the host.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
    # No SECURE_PROXY_SSL_HEADER: meet/proxies.py sets the request's scheme from
    # X-Forwarded-Proto when, and only when, the peer is one of MEET_TRUSTED_PROXIES.
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preloading commits the whole registrable domain (every sibling site of the
    # department, for months) to HTTPS: the operator's decision, off unless asked for.
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# --- Observability (meet/logs.py, meet/metrics.py, mediaworker/logs.py) ---------------------
# LOG_FORMAT: json (default in production) or plain; every line is stripped of secrets.
LOG_FORMAT = log_format()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "meet.logs.ContextFilter"},
        "redact": {"()": "mediaworker.logs.RedactingFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "mediaworker.logs.JsonLineFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # fpdf2 subsets a certificate's font through fontTools, which logs every table at INFO.
    "loggers": {"axes": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}
# /metrics answers these addresses/networks (not through a proxy), or a bearer token.
MEET_METRICS_ALLOWED = env_list("MEET_METRICS_ALLOWED", default=["127.0.0.1", "::1"])
MEET_METRICS_TOKEN = os.environ.get("MEET_METRICS_TOKEN", "")
# `meet run_scheduler` serves /metrics and /healthz here (port 0: off); healthy while a
# pass finished within MEET_SCHEDULER_HEALTHY_SECS.
MEET_SCHEDULER_METRICS_HOST = os.environ.get("MEET_SCHEDULER_METRICS_HOST", "127.0.0.1")
MEET_SCHEDULER_METRICS_PORT = int(os.environ.get("MEET_SCHEDULER_METRICS_PORT", "9311"))
MEET_SCHEDULER_HEALTHY_SECS = float(os.environ.get("MEET_SCHEDULER_HEALTHY_SECS", "300"))

# --- Training courses (courses/) ---------------------------------------------------------
# The course player's watch reports: one per MEET_COURSE_WATCH_EVERY_SECS per person, with a
# burst of MEET_COURSE_WATCH_BURST (courses/services/progress.py).
MEET_COURSE_WATCH_RATE = (
    float(os.environ.get("MEET_COURSE_WATCH_EVERY_SECS", "5")),
    int(os.environ.get("MEET_COURSE_WATCH_BURST", "6")),
)

# --- Live rooms (signaling/) ----------------------------------------------------------------
# Read through signaling/conf.py at call time. Sizes in bytes, times in seconds.
MEET_LIVE_JOIN_TOKEN_SECS = int(os.environ.get("MEET_LIVE_JOIN_TOKEN_SECS", "120"))
MEET_LIVE_FILE_MAX_BYTES = int(os.environ.get("MEET_LIVE_FILE_MAX_BYTES", str(25 * 1024 * 1024)))
MEET_LIVE_SLIDES_MAX_BYTES = int(
    os.environ.get("MEET_LIVE_SLIDES_MAX_BYTES", str(50 * 1024 * 1024))
)
MEET_LIVE_SLIDES_MAX_PAGES = int(os.environ.get("MEET_LIVE_SLIDES_MAX_PAGES", "200"))
MEET_LIVE_CHAT_HISTORY = int(os.environ.get("MEET_LIVE_CHAT_HISTORY", "200"))
MEET_LIVE_MEETING_IDLE_SECS = int(os.environ.get("MEET_LIVE_MEETING_IDLE_SECS", "3600"))
# A dropped connection keeps its participant this long (a page that comes back resumes it).
MEET_LIVE_RECONNECT_GRACE_SECS = float(os.environ.get("MEET_LIVE_RECONNECT_GRACE_SECS", "40"))
# Abuse limits shared by every web process (signaling/conf.py has the buckets and defaults):
# "join_address=0.1/600,chat_user=1/10" overrides those named.
MEET_LIVE_ABUSE_RATES = env_rates("MEET_LIVE_ABUSE_RATES")
MEET_LIVE_GUEST_PASSWORD_MIN_CHARS = int(os.environ.get("MEET_LIVE_GUEST_PASSWORD_MIN_CHARS", "8"))
MEET_LIVE_FILES_PER_PARTICIPANT = int(os.environ.get("MEET_LIVE_FILES_PER_PARTICIPANT", "20"))
MEET_LIVE_FILES_PER_MEETING = int(os.environ.get("MEET_LIVE_FILES_PER_MEETING", "200"))
MEET_LIVE_WELCOME_FILES = int(os.environ.get("MEET_LIVE_WELCOME_FILES", "50"))
MEET_LIVE_REMOVED_GUESTS_BAN_ADDRESS = int(
    os.environ.get("MEET_LIVE_REMOVED_GUESTS_BAN_ADDRESS", "2")
)
# A PDF is rendered in a child process with these limits (signaling/pdf_child.py).
MEET_LIVE_SLIDES_RENDER_SECS = float(os.environ.get("MEET_LIVE_SLIDES_RENDER_SECS", "60"))
MEET_LIVE_SLIDES_RENDER_BYTES = int(
    os.environ.get("MEET_LIVE_SLIDES_RENDER_BYTES", str(1024 * 1024 * 1024))
)
MEET_LIVE_SLIDES_RENDERS_AT_ONCE = int(os.environ.get("MEET_LIVE_SLIDES_RENDERS_AT_ONCE", "2"))
# Uploads: form fields are held in memory up to 2.5 MB; a file part larger than 2.5 MB
# streams to a temporary file, so an upload of tens of MB never sits whole in memory
# (signaling/upload_guard.py refuses bodies over the limits before they are read).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Per-connection WebSocket rate limits, {"chat": (messages per second, burst), ...};
# buckets: default, chat, vote, rtc (signaling/domain/ratelimit.py has the defaults).
MEET_LIVE_RATE_LIMITS: dict[str, tuple[float, int]] = {}
if REDIS_URL:
    # redis-py 8 gives up reading after 5 s by default, exactly as long as channels_redis
    # blocks in BZPOPMIN waiting for a consumer's next message: an idle WebSocket then dies
    # with "Timeout reading from ..." (HTTP 1011). Read longer than the block time.
    CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]["socket_timeout"] = 30  # type: ignore[index]

# --- Broadcasts, recordings and the public archive (broadcasts/, archive/, mediaworker/) ---
# One directory per recording (status.json, HLS program, finished MP4); the media worker
# reads the same variable (mediaworker/config.py). Its files are served through the app, which
# checks that each is public now (docs/archive.md): never alias the folder in a web server.
MEET_RECORDINGS_ROOT = Path(os.environ.get("MEET_RECORDINGS_DIR", VAR_DIR / "recordings"))
# How long a shared cache may keep a public segment, MP4, poster or caption file before it
# asks again (an unpublished entry then answers 404: archive/services/files.py).
MEET_PUBLIC_MEDIA_MAX_AGE_SECS = int(os.environ.get("MEET_PUBLIC_MEDIA_MAX_AGE_SECS", "60"))
