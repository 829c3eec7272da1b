"""The resilience suite (issue 26, point 9): see ``__main__.py``."""
