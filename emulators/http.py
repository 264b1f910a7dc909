"""Run a WSGI app on a real socket in a background thread (emulators, test receivers)."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from werkzeug.serving import make_server


def serve_in_thread(
    wsgi_app: Any, host: str = "127.0.0.1", port: int = 0
) -> tuple[str, Callable[[], None]]:
    """Serve `wsgi_app` until the returned stop callable is called.

    Port 0 lets the OS pick a free port, so parallel runs never collide; the base URL
    carries the port actually bound. The server is threaded because an emulator calls
    back into servers that may in turn call the emulator.
    """
    server = make_server(host, port, wsgi_app, threaded=True)
    # A short poll interval keeps stop() quick; shutdown waits for the next poll.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"wsgi:{server.port}", daemon=True
    )
    thread.start()

    def stop() -> None:
        server.shutdown()
        thread.join()
        server.server_close()

    return f"http://{host}:{server.port}", stop
