"""gunicorn's settings; gunicorn reads ./gunicorn.conf.py by itself when started here."""
import gunicorn.http.wsgi

# gunicorn always writes a `Server` header and has no setting for it: leave it empty,
# so no response names the software behind it.
gunicorn.http.wsgi.SERVER = ""
