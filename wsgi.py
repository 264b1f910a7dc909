"""gunicorn wsgi:app  ·  celery -A wsgi:celery worker|beat"""
from core.app import create_app

app = create_app()
celery = app.extensions["celery"]
