"""Every model of every domain package, imported in one place so that metadata and migrations see them all."""

from welfarepoint.catalog.models import Alliance, AllianceMember, Organisation, Revision, Service, ServiceCoverage
from welfarepoint.territory.models import Municipality

__all__ = ["Alliance", "AllianceMember", "Municipality", "Organisation", "Revision", "Service", "ServiceCoverage"]
