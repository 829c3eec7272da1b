"""Forms of the public site."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, TextAreaField
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


RATING_LABELS = {
    "1": _l("1 of 5: not clear at all"),
    "2": _l("2 of 5: not very clear"),
    "3": _l("3 of 5: fairly clear"),
    "4": _l("4 of 5: clear"),
    "5": _l("5 of 5: very clear"),
}


class RatingForm(FlaskForm):
    """How clear the page is, from 1 to 5 (the page-rating component of the Italian public-service model)."""

    score = RadioField(
        _l("How clear is the information on this page?"),
        choices=[SelectChoice(value, text) for value, text in RATING_LABELS.items()],
        validators=[DataRequired()],
    )
