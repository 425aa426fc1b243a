"""What the OpenAPI schema says about every operation, whoever wrote the view.

drf-spectacular documents the responses a view declares; the error answers that DRF, the
paginator, the filters and our own exception handlers give to any operation are the same
everywhere, so they are added here once (a postprocessing hook) instead of in each `responses=`.
A view that declares one of these codes with its own description keeps it.
"""

ERROR_BODY = {
    "type": "object",
    "description": (
        'An error: `{"detail": "message"}`, or each field name (or `non_field_errors`) with its '
        "list of messages."
    ),
    "additionalProperties": {},
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}
WRITES = {"post", "put", "patch", "delete"}

# status code -> (description, applies to the operation?)
COMMON = {
    "400": ("Invalid input: a field, a query parameter or the body; the body names it.", None),
    "401": ("No valid session or API token.", None),
    "403": ("Your role may not do this, or the CSRF check failed (session login).", None),
    "404": ("No such object for you, or no such page of a list.", None),
    "409": ("Somebody changed the object first, or it is locked: reload and retry.", WRITES),
    "415": ("The body is not JSON (or the form encoding this operation takes).", WRITES),
    "503": ("The request took longer than the server allows (statement timeout).", None),
}


def document_errors(result, generator, request, public):
    """Add the shared error responses, and the `Error` component they use, to every operation.

    Emails are documented as `idn-email`: an address may hold non-ASCII characters (an
    internationalised domain), and the API returns what it stored.
    """
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_BODY
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code, (description, methods) in COMMON.items():
                if code in responses or (methods is not None and method not in methods):
                    continue
                responses[code] = {
                    "description": description,
                    "content": {"application/json": {"schema": ERROR_REF}},
                }
    _idn_emails(result)
    return result


def _idn_emails(node) -> None:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("format") == "email":
                item["format"] = "idn-email"
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
