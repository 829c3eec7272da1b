"""The open data API: published listings and their providers as HSDS 3.0 objects, under ``/api/v1``.

:mod:`welfarepoint.api.hsds` turns catalog objects into HSDS dictionaries (pure functions);
:mod:`welfarepoint.api.views` is the blueprint; ``openapi.json`` describes the endpoints.
"""
