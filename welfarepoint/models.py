"""Every model of every domain package, imported in one place so that metadata and migrations see them all."""

from welfarepoint.accounts.models import AccountAct, AuthEvent, User
from welfarepoint.alerts.models import Alert
from welfarepoint.catalog.models import (
    Alliance,
    AllianceMember,
    CatalogState,
    Feedback,
    Organisation,
    Revision,
    Service,
    ServiceCoverage,
)
from welfarepoint.freshness.models import Reminder
from welfarepoint.insights.models import DemandCount, OverlapDecision, SearchCount
from welfarepoint.insights.ratings import PageRating
from welfarepoint.jobs.models import Job
from welfarepoint.kept_forms import KeptForm
from welfarepoint.mail.models import MailMessage
from welfarepoint.signed import UsedLink
from welfarepoint.territory.models import Municipality, PublicRoute
from welfarepoint.vocabulary.models import SearchSynonym

__all__ = [
    "AccountAct",
    "Alert",
    "Alliance",
    "AllianceMember",
    "AuthEvent",
    "CatalogState",
    "DemandCount",
    "Feedback",
    "Job",
    "KeptForm",
    "MailMessage",
    "Municipality",
    "OverlapDecision",
    "Organisation",
    "PageRating",
    "PublicRoute",
    "Reminder",
    "Revision",
    "SearchCount",
    "SearchSynonym",
    "Service",
    "ServiceCoverage",
    "UsedLink",
    "User",
]
