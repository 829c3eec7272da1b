"""The open data API: published listings and their providers as HSDS 3.0 objects, under ``/api/v1``.

:data:`bp` is defined in :mod:`welfarepoint.api.blueprint`; :mod:`welfarepoint.api.views` (listings,
organisations, municipalities) and :mod:`welfarepoint.api.match_views` (the questionnaires' JSON twins) add their
routes to it, answering through :mod:`welfarepoint.api.responses`. :mod:`welfarepoint.api.hsds` turns catalog
objects into HSDS dictionaries (pure functions); ``openapi.json`` describes the endpoints.
"""

from welfarepoint.api import match_views, views
from welfarepoint.api.blueprint import bp

__all__ = ["bp", "match_views", "views"]
