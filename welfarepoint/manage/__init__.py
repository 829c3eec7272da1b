"""The Welfare Community Managers' backend (``/manage``)."""
