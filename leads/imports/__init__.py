"""Getting contacts and events in: the events API's batch service and the file imports.

- validation: what an incoming event (and an email) must be, as the API words its errors
- sql: is_postgres, one_of (one array parameter for an __in lookup)
- events_ingest: events_ingest, the set-based store of a batch (POST /api/v1/events/)
"""
