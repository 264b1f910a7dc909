"""A bare Flask app with one route: the floor of this machine.

Served by the same gunicorn settings as the portal (`gunicorn bench.hello:app`), so
the catalog's throughput can be read against what Flask + gunicorn + the load
generator manage on this machine when the view does nothing.
"""
from flask import Flask

app = Flask(__name__)


@app.get("/hello")
def hello() -> str:
    return "hello"
