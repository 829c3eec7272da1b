"""The blueprint of the backend, ``/manage``: every route module of :mod:`welfarepoint.manage` adds to it."""

from flask import Blueprint

bp = Blueprint("manage", __name__, url_prefix="/manage")
