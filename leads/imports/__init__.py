"""Getting contacts and events in: the events API's batch service and the file imports.

- validation: what an incoming event (and an email) must be, as the API words its errors
- sql: is_postgres, one_of (one array parameter for an __in lookup)
- events_ingest: events_ingest, the set-based store of a batch (POST /api/v1/events/)
- events_file: events_import, the import of an events file (CSV or NDJSON), with
  events_records (its lines as the API's records, stored in batches through events_ingest),
  events_postgres (the PostgreSQL path: COPY, one INSERT ... SELECT, index rebuilds) and
  events_sql (the SQL that sorts the lines into plainly valid and for Python to judge)
"""
