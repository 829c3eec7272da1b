"""The alert form: an e-mail address, and the permalink of the results page it was asked from."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField


class AlertForm(FlaskForm):
    """Ask for an e-mail alert (the address is checked by :func:`welfarepoint.mail.addresses.check_address`)."""

    email = EmailField(
        _l("Your e-mail address"),
        description=_l("Only to send you these alerts. You can stop them from any message, in one click."),
    )
    permalink = HiddenField()
