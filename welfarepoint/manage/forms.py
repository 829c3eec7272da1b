"""Forms of the backend.

The listing form's fields are named after the columns of the listings CSV: the form gives text cells, and
the same validation as an import (:func:`welfarepoint.catalog.validation.validate_listing`) checks them, so a
listing typed in the browser and one imported from a spreadsheet follow one set of rules. Fields are plain text
so that whatever was typed comes back, untouched, next to its error.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    EmailField,
    Field,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from welfarepoint import territory
from welfarepoint.catalog import taxonomy
from welfarepoint.catalog.validation import FieldError


class LoginForm(FlaskForm):
    """Sign in with e-mail and password."""

    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


def add_errors(form: FlaskForm, problems: list[FieldError]) -> None:
    """Show the catalog's problems (by column name) next to the form's fields of the same name."""
    for problem in problems:
        field = getattr(form, problem.column, None)
        if isinstance(field, Field):
            field.errors = [*field.errors, problem.message]


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes; the choices are validated by the catalog, not here."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:
        """Leave unknown codes to the catalog's validation, which names them."""


class FreeSelectField(SelectField):
    """A select whose value the catalog validates (so an unknown value gets the catalog's message)."""

    def pre_validate(self, form) -> None:
        """Leave unknown codes to the catalog's validation, which names them."""


def _text(label, max_length: int, description="") -> StringField:
    return StringField(label, validators=[Length(max=max_length)], description=description)


def _area(label, max_length: int = 20_000, description="") -> TextAreaField:
    return TextAreaField(label, validators=[Length(max=max_length)], description=description)


class ListingForm(FlaskForm):
    """A listing, field by field (names are CSV columns); ``version`` is the version the editor started from."""

    version = HiddenField()
    external_id = _text(
        _l("Identifier"), 100, _l("Stable code of the listing in your files; left empty, one is made up.")
    )
    title = _text(_l("Title (Italian)"), 200)
    summary = _area(_l("Summary (Italian)"), 1000, _l("One or two sentences shown in the search results."))
    description = _area(_l("Description (Italian)"))
    title_en = _text(_l("Title (English)"), 200)
    summary_en = _area(_l("Summary (English)"), 1000)
    description_en = _area(_l("Description (English)"))
    audience = FreeSelectField(_l("Who it is for"))
    category = FreeSelectField(_l("Category"))
    needs = MultiCheckboxField(_l("Needs it answers"))
    tags = _text(_l("Keywords"), 1000, _l("Separated by ; (for example: pre-scuola; mensa)."))
    ats = FreeSelectField(_l("ATS"))
    municipalities = _area(
        _l("Municipalities covered"),
        20_000,
        _l("Names or ISTAT codes separated by ; — leave empty when the whole ATS is covered."),
    )
    age_min = _text(_l("From age"), 10, _l("Whole years; empty when there is no lower limit."))
    age_max = _text(_l("To age"), 10, _l("Whole years; empty when there is no upper limit."))
    company_sizes = MultiCheckboxField(_l("Company sizes"))
    periods = MultiCheckboxField(_l("Periods"))
    time_slots = MultiCheckboxField(_l("Times of day"))
    schedule_notes = _area(_l("Days and hours"), 1000)
    cost = FreeSelectField(_l("Cost"))
    cost_notes = _area(_l("Cost details (Italian)"), 1000)
    cost_notes_en = _area(_l("Cost details (English)"), 1000)
    how_to_access = _area(_l("How to apply (Italian)"))
    how_to_access_en = _area(_l("How to apply (English)"))
    provider = _text(_l("Provider"), 200, _l("The organisation that runs the service."))
    provider_type = FreeSelectField(_l("Type of provider"), description=_l("Needed only for a new provider."))
    alliance = FreeSelectField(_l("Alliance"))
    address = _text(_l("Address"), 300)
    municipality = _text(_l("Municipality of the address"), 100)
    phone = _text(_l("Phone"), 40)
    email = _text(_l("E-mail"), 200)
    website = _text(_l("Website"), 300)
    languages = MultiCheckboxField(_l("Languages spoken"))
    capacity = _text(
        _l("Number of places"), 10, _l("How many people it can take; empty when there is no limit.")
    )
    availability = FreeSelectField(_l("Availability"))
    enrolment_deadline = _text(_l("Enrolment deadline"), 10, _l("In the form YYYY-MM-DD."))
    review_interval_days = _text(_l("Check again every (days)"), 10, _l("Between 7 and 1095 days."))
    age_of = FreeSelectField(_l("Whose age"), description=_l("Whose age the ages above are."))
    residence = FreeSelectField(_l("Residence or employment"))
    conditions = _area(_l("Other conditions (Italian)"), 2000)
    conditions_en = _area(_l("Other conditions (English)"), 2000)
    isee_max = _text(_l("Highest ISEE admitted (euros)"), 10, _l("Empty when there is no ISEE threshold."))
    documents = _area(_l("Documents needed (Italian)"), 10_000, _l("One a line."))
    documents_en = _area(_l("Documents needed (English)"), 10_000, _l("One a line."))
    steps = _area(_l("How to apply, step by step (Italian)"), 10_000, _l("One step a line, in order."))
    steps_en = _area(_l("How to apply, step by step (English)"), 10_000, _l("One step a line, in order."))
    cost_amount = _text(_l("Amount (euros)"), 20, _l("For example 40 or 2,50; empty when it varies."))
    cost_period = FreeSelectField(_l("Amount per"))
    hours = _area(
        _l("Opening hours"),
        500,
        _l("Days and times, one rule a line: for example “Mo-Fr 09:00-12:30” or “lun, gio 14:00-17:00”."),
    )
    enrolment_opens = _text(_l("Enrolment opens"), 10, _l("In the form YYYY-MM-DD."))
    channel = FreeSelectField(_l("Only through"), description=_l("When the public cannot apply directly."))
    # helper "region" (issue 24 point 5): a funded action of the alliance, counted in the Region's monitoring.
    funded_action = FreeSelectField(
        _l("Funded action of the alliance"),
        choices=[
            SelectChoice("false", _l("No")),
            SelectChoice("true", _l("Yes: counted in the Region's monitoring")),
        ],
        description=_l(
            "Only a manager says so. Municipal and other services are not actions of the alliance."
        ),
    )
    programme_period = _text(
        _l("Programme period"), 20, _l("The years of the programme the action is funded by, e.g. 2023-2025.")
    )

    #: Fields holding several codes (a ;-separated cell in the CSV).
    MULTI = ("needs", "company_sizes", "periods", "time_slots", "languages")
    #: Fields holding several lines of text (a ;-separated cell in the CSV, one item a line in the form).
    LINES = ("documents", "documents_en", "steps", "steps_en", "hours")

    def set_choices(self, language: str, ats_names: tuple[str, ...], alliance_names: list[str]) -> None:
        """Fill the choices in the page's language, limited to the account's territory."""
        none = [("", "—")]
        self.audience.choices = none + taxonomy.choices("audiences", language)
        self.category.choices = none + [
            (code, f"{code} · {label}") for code, label in taxonomy.choices("categories", language)
        ]
        self.needs.choices = [
            (code, taxonomy.need_plain_words(code, language)[0]) for code in taxonomy.need_codes()
        ]
        self.ats.choices = ([] if len(ats_names) == 1 else none) + [(name, name) for name in ats_names]
        self.company_sizes.choices = taxonomy.choices("company_sizes", language)
        self.periods.choices = taxonomy.choices("periods", language)
        self.time_slots.choices = taxonomy.choices("time_slots", language)
        self.cost.choices = none + taxonomy.choices("costs", language)
        self.provider_type.choices = none + taxonomy.choices("organisation_types", language)
        self.alliance.choices = (
            [] if len(alliance_names) == 1 and ats_names != territory.ATS_NAMES else none
        ) + [(name, name) for name in alliance_names]
        self.languages.choices = [
            (code, taxonomy.language_name(code, language)) for code in taxonomy.language_codes()
        ]
        self.availability.choices = taxonomy.choices("availability", language)
        self.age_of.choices = none + taxonomy.choices("age_of", language)
        self.residence.choices = [("", _l("Anyone"))] + taxonomy.choices("residence", language)
        self.cost_period.choices = none + taxonomy.choices("cost_periods", language)
        self.channel.choices = [("", _l("Anyone may apply directly"))] + taxonomy.choices(
            "channels", language
        )

    def listing_fields(self) -> list[Field]:
        """The fields that are columns of a listing."""
        return [field for field in self if field.name not in ("csrf_token", "version")]

    def cells(self) -> dict[str, str]:
        """The form's values as CSV cells."""
        return {
            field.name: ";".join(field.data or [])
            if field.name in self.MULTI
            else ";".join(line.strip() for line in (field.data or "").splitlines() if line.strip())
            if field.name in self.LINES
            else (field.data or "")
            for field in self.listing_fields()
        }

    @classmethod
    def data_from_cells(cls, cells: dict[str, str]) -> dict[str, object]:
        """Values to fill the form with from CSV cells (municipalities by name rather than ISTAT code)."""
        return {
            name: [part for part in value.split(";") if part]
            if name in cls.MULTI
            else "\n".join(part.strip() for part in value.split(";") if part.strip())
            if name in cls.LINES
            else municipality_names(value)
            if name in ("municipalities", "municipality")
            else value
            for name, value in cells.items()
        }

    def shown(self, name: str, cell: str) -> str:
        """A cell as the form would show it: the labels of codes, names of municipalities, one item a line."""
        field = getattr(self, name)
        labels = {str(code): str(label) for code, label in (getattr(field, "choices", None) or [])}
        if name in self.MULTI:
            return ", ".join(labels.get(code, code) for code in cell.split(";") if code)
        if labels:
            return labels.get(cell, cell) if cell else ""
        value = self.data_from_cells({name: cell})[name]
        return value if isinstance(value, str) else ", ".join(value)

    def add_errors(self, problems: list[FieldError]) -> None:
        """Show the catalog's problems next to their fields."""
        add_errors(self, problems)


def municipality_names(cell: str) -> str:
    """``;``-separated ISTAT codes as the names of their comuni (a code whose name is ambiguous stays a code)."""
    shown = []
    for part in (part.strip() for part in cell.split(";")):
        place = territory.by_istat(part) if part.isdigit() else None
        same = territory.by_name(place.name) if place is not None else None
        named = same is not None and same.istat_code == place.istat_code
        if part:
            shown.append(place.name if named else part)
    return "; ".join(shown)


class ActionForm(FlaskForm):
    """A button that changes a listing's state; ``version`` guards against acting on a stale page."""

    version = HiddenField()


class OrganisationForm(FlaskForm):
    """An organisation (ente or partner)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    type = FreeSelectField(_l("Type"))
    municipality = StringField(_l("Municipality"), validators=[Length(max=100)])
    website = StringField(_l("Website"), validators=[Length(max=300)])
    email = StringField(_l("E-mail"), validators=[Length(max=200)])
    phone = StringField(_l("Phone"), validators=[Length(max=40)])


class AllianceForm(FlaskForm):
    """An alliance: its name, ATS, programme period and lead organisation."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    ats = FreeSelectField(_l("ATS"))
    period_start = StringField(_l("Start of the programme"), validators=[Length(max=10)])
    period_end = StringField(_l("End of the programme"), validators=[Length(max=10)])
    lead = StringField(_l("Lead organisation"), validators=[Length(max=200)])


class MemberForm(FlaskForm):
    """Add an organisation to an alliance, or change its role."""

    organisation = StringField(_l("Organisation"), validators=[DataRequired(), Length(max=200)])
    role = FreeSelectField(_l("Role"))


class ImportForm(FlaskForm):
    """A listings file (CSV or Excel workbook) to check and then import."""

    file = FileField(
        _l("File (Excel or CSV)"),
        description=_l("An Excel workbook (.xlsx) or a CSV file, one listing per row, up to 2 MB."),
    )
