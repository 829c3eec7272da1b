"""The public site: home, search, service pages, questionnaires and the legal pages."""
