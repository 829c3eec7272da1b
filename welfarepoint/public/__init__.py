"""The public site: home, search, service pages, questionnaires and the legal pages.

:data:`bp` is defined in :mod:`welfarepoint.public.blueprint`; :mod:`welfarepoint.public.views` (home, search,
service pages, Welfare Points, legal pages) and :mod:`welfarepoint.public.questionnaires` add their routes to it.
"""

from welfarepoint.public import lists, questionnaires, sheets, views
from welfarepoint.public.blueprint import bp

__all__ = ["bp", "lists", "questionnaires", "sheets", "views"]
