"""Forms of the public site."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

FEEDBACK_CHOICES = [
    SelectChoice("hours", _l("Days, hours or periods are wrong")),
    SelectChoice("contacts", _l("Address, phone or e-mail are wrong")),
    SelectChoice("cost", _l("The cost is wrong")),
    SelectChoice("closed", _l("The service has closed")),
    SelectChoice("other", _l("Something else")),
]


class FeedbackForm(FlaskForm):
    """Suggest a correction to a listing (no name or contact asked: nothing personal is kept)."""

    kind = SelectField(_l("What is wrong?"), choices=FEEDBACK_CHOICES, validators=[DataRequired()])
    message = TextAreaField(
        _l("What should it say?"),
        validators=[DataRequired(), Length(min=10, max=2000)],
        description=_l("Do not write names, health information or other personal details."),
    )
