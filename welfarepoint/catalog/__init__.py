"""The catalog: organisations, alliances, services, the taxonomy, workflow, revisions, import and export.

No web here. State changes go through :mod:`welfarepoint.catalog.operations`.
"""
