"""The API's JSON parser: a request body is a JSON object, or a 400 that says so.

Views read fields by name (`"email" in request.data`); a body of `null`, a number or a list would
reach them as something else. Only the event ingest, which takes a list as well, uses DRF's own
parser.
"""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class JSONObjectParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if not isinstance(data, dict):
            raise ParseError("Send a JSON object as the request body.")
        return data
