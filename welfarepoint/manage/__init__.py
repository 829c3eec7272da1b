"""The Welfare Community Managers' backend (``/manage``).

:data:`bp` is defined in :mod:`welfarepoint.manage.blueprint`; each route module below adds its pages to it:
:mod:`~welfarepoint.manage.auth` (sign-in), :mod:`~welfarepoint.manage.inbox` (home: the inbox),
:mod:`~welfarepoint.manage.dashboard` (the full queues), :mod:`~welfarepoint.manage.listings`,
:mod:`~welfarepoint.manage.history` (workflow buttons and history), :mod:`~welfarepoint.manage.transfer` (CSV import),
:mod:`~welfarepoint.manage.network` (organisations and alliances), :mod:`~welfarepoint.manage.insights` and
:mod:`~welfarepoint.manage.ratings` (page ratings), :mod:`~welfarepoint.manage.accounts` (people, invitations,
password resets, the account's preferences).
What they share is in :mod:`~welfarepoint.manage.helpers`; who may see what is
:mod:`welfarepoint.accounts.scope`.
"""

from welfarepoint.manage import (
    accounts,
    auth,
    dashboard,
    history,
    import_jobs,
    inbox,
    insights,
    job_pages,
    listings,
    network,
    outbox,
    ratings,
    routes,
    transfer,
    vocabulary,
)
from welfarepoint.manage.blueprint import bp

__all__ = [
    "accounts",
    "auth",
    "bp",
    "dashboard",
    "history",
    "import_jobs",
    "inbox",
    "insights",
    "job_pages",
    "listings",
    "network",
    "outbox",
    "ratings",
    "routes",
    "transfer",
    "vocabulary",
]
