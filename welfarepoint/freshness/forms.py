"""The short forms a provider reaches from an e-mail, without signing in."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from welfarepoint.freshness.answers import ANSWER_MAX
from welfarepoint.public.forms import FEEDBACK_CHOICES


class ConfirmForm(FlaskForm):
    """The one button "it is all still correct" (the form token only)."""


class ChangesForm(FlaskForm):
    """What needs to change in a listing, as its provider writes it."""

    kind = SelectField(_l("What needs to change?"), choices=FEEDBACK_CHOICES, validators=[DataRequired()])
    message = TextAreaField(
        _l("Write what is different now"),
        validators=[
            DataRequired(_l("Write what needs to change.")),
            Length(
                min=10,
                max=2000,
                message=_l(
                    "Write between 10 and 2000 characters. If nothing needs to change, use the button "
                    "“It is all still correct” instead."
                ),
            ),
        ],
        description=_l("The Welfare Community Manager of the territory reads it and updates the listing."),
    )


class AnswerForm(FlaskForm):
    """The provider's answer to a correction sent by the public."""

    answer = TextAreaField(
        _l("Your answer"),
        validators=[
            DataRequired(_l("Write your answer.")),
            Length(max=ANSWER_MAX, message=_l("Write at most 2000 characters.")),
        ],
        description=_l(
            "The Welfare Community Manager of the territory reads it; the person who wrote does not."
        ),
    )
