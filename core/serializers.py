"""Serializer pieces every app's API shares."""

from rest_framework import serializers


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer, except that a read-only field keeps `allow_blank`.

    DRF drops `allow_blank` from read-only fields, so the schema of a blank-able choice field
    (a contact's seniority, a decision's disposition) would not admit the "" the API returns.
    """

    def include_extra_kwargs(self, kwargs, extra_kwargs):
        allow_blank = kwargs.get("allow_blank", False)
        kwargs = super().include_extra_kwargs(kwargs, extra_kwargs)
        if allow_blank and kwargs.get("read_only"):
            kwargs["allow_blank"] = True
        return kwargs
