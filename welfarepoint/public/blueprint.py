"""The blueprint of the public site (no prefix): every route module of :mod:`welfarepoint.public` adds to it."""

from flask import Blueprint

bp = Blueprint("public", __name__)
