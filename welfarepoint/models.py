"""Every model of every domain package, imported in one place so that metadata and migrations see them all."""

from welfarepoint.accounts.models import AuthEvent, User
from welfarepoint.catalog.models import (
    Alliance,
    AllianceMember,
    Feedback,
    Organisation,
    Revision,
    Service,
    ServiceCoverage,
)
from welfarepoint.insights.models import DemandCount, SearchCount
from welfarepoint.territory.models import Municipality

__all__ = [
    "Alliance",
    "AllianceMember",
    "AuthEvent",
    "DemandCount",
    "Feedback",
    "Municipality",
    "Organisation",
    "Revision",
    "SearchCount",
    "Service",
    "ServiceCoverage",
    "User",
]
