"""Django REST framework peer for the catalogue scenario: GET /sections as examples/catalogue serves it with
its cache off, written the way a Django team would (a model over the table, the ORM, a DRF view and
serializer, ConditionalGetMiddleware for the ETag). DATABASE_URL names the PostgreSQL database.

    gunicorn --chdir bench/peers/django -w 1 -b 127.0.0.1:8010 catalogue.wsgi:application
"""

import os
from urllib.parse import urlparse

url = urlparse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench"))

SECRET_KEY = "bench-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "catalogue.urls"
USE_TZ = True
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "rest_framework", "catalogue"]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware", "django.middleware.http.ConditionalGetMiddleware"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": url.path.lstrip("/"),
        "USER": url.username or "postgres",
        "PASSWORD": url.password or "",
        "HOST": url.hostname or "127.0.0.1",
        "PORT": url.port or 5432,
        # Persistent connections, as a production deployment sets them (the default, 0, connects per request).
        "CONN_MAX_AGE": None,
    }
}
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
}
