import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "haven.settings")
application = get_wsgi_application()

# What is loaded by now (settings, apps, models, URL patterns) lives as long as the worker.
# Frozen, it is left out of every garbage collection, which then scans only what requests
# allocate: shorter pauses in the slowest requests.
gc.freeze()
