"""Forms of the public site."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from welfarepoint.catalog.operations import FEEDBACK_KINDS

FEEDBACK_LABELS = {
    "hours": _l("Days, hours or periods are wrong"),
    "contacts": _l("Address, phone or e-mail are wrong"),
    "cost": _l("The cost is wrong"),
    "closed": _l("The service has closed"),
    "other": _l("Something else"),
}
FEEDBACK_CHOICES = [SelectChoice(kind, FEEDBACK_LABELS[kind]) for kind in FEEDBACK_KINDS]


class FeedbackForm(FlaskForm):
    """Suggest a correction to a listing (no name or contact asked: nothing personal is kept)."""

    kind = SelectField(_l("What is wrong?"), choices=FEEDBACK_CHOICES, validators=[DataRequired()])
    message = TextAreaField(
        _l("What should it say?"),
        validators=[DataRequired(), Length(min=10, max=2000)],
        description=_l("Do not write names, health information or other personal details."),
    )
