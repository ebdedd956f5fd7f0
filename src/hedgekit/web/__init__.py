"""The web dashboard behind ``hedgekit serve`` (FastAPI, Jinja2, plotly.js served locally).

| module | owns |
|---|---|
| ``app`` | :func:`create_app`: pages, the JSON API, the status cache |
| ``status`` | the "now" document: the book planned on its last sync, held beside target |
| ``journal`` | reading the journal's history, alerts and orders; empty when absent |
| ``charts`` | the plotly figure specs of the pages |
| ``security`` | loopback-only without a token, sessions, CSRF |
| ``actions`` | what the rebalance and halt buttons call (the executor's) |
"""

from hedgekit._lazy import lazy_exports

_EXPORTS = {"create_app": "hedgekit.web.app", "book_status": "hedgekit.web.status",
            "check_bind": "hedgekit.web.security"}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
