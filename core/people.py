"""How the pages name a person: their full name, else their username. One rule for every page,
select and filter (reps were "rep3" on one page and "Riley Rep" on the next)."""

import django_filters
from django import forms


def display_name(user) -> str:
    """The user's full name, else their username ('' for no user)."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


class PersonChoiceField(forms.ModelChoiceField):
    """A choice of users labelled by display_name."""

    def label_from_instance(self, obj) -> str:
        return display_name(obj)


class PersonFilter(django_filters.ModelChoiceFilter):
    """A filter on a user, its choices labelled by display_name."""

    field_class = PersonChoiceField
