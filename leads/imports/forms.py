"""Forms of the contacts import pages; the work is leads.imports.jobs'."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from leads.imports.contacts_csv import INITIAL_STAGES
from leads.imports.kinds import CONTACTS, ImportKind
from leads.models import LifecycleStage


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label="The rows are", initial=CONTACTS.name, required=False)
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8, comma, semicolon or tab separated; the first line names the columns.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.tsv,.txt,text/csv"}),
    )

    def __init__(self, *args, kinds: list[ImportKind], **kwargs):
        """`kinds`: those the user may import."""
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(kind.name, kind.label) for kind in kinds]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_UPLOAD_MB * 1024 * 1024
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is {filesizeformat(upload.size)}; the limit is "
                f"{filesizeformat(limit)}. Split it into smaller files."
            )
        if upload.size == 0:
            raise forms.ValidationError("The file is empty.")
        return upload


class ImportMappingForm(forms.Form):
    """One select per CSV column (fields col_0, col_1, …) plus, for contacts, the new contacts'
    stage."""

    stage = forms.ChoiceField(
        label="New contacts start as",
        choices=[(s.value, s.label) for s in INITIAL_STAGES],
        initial=LifecycleStage.LEAD,
    )

    def __init__(
        self, *args, headers: list[str], guessed: dict[str, str], kind: ImportKind, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.headers = headers
        if kind.row_import is not None:
            del self.fields["stage"]
        for index, header in enumerate(headers):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header,
                choices=kind.target_choices,
                required=False,
                initial=guessed.get(header, ""),
            )

    def column_fields(self):
        return [self[f"col_{index}"] for index in range(len(self.headers))]

    def mapping(self) -> dict[str, str]:
        return {
            header: self.cleaned_data.get(f"col_{index}", "")
            for index, header in enumerate(self.headers)
        }
