"""Getting contacts and events in: the events API's batch service and the file imports.

Shared:
- validation: what an incoming event (and an email) must be, as the API words its errors
- sql: is_postgres, one_of (one array parameter for an __in lookup)

Events:
- events_ingest: events_ingest, the set-based store of a batch (POST /api/v1/events/)
- events_file: events_import, the import of an events file (CSV or NDJSON), with
  events_records (its lines as the API's records, stored in batches through events_ingest),
  events_postgres (the PostgreSQL path: COPY, one INSERT ... SELECT, index rebuilds) and
  events_sql (the SQL that sorts the lines into plainly valid and for Python to judge)

Contacts (CSV):
- contacts_csv: csv_inspect and contacts_import, the import itself, chunk by chunk
- contacts_mapping: which field each column feeds (mapping_guess, mapping_validate) and the
  checks of each value (contact_row_parse)
- contacts_write: the bulk writes of one chunk (contacts_chunk_write)
- kinds: what a job can import, contacts and the kinds apps above register on
  hooks.import_kinds (deals, campaign spend); rows: rows_import, the row-by-row import of such a
  kind through its app's writer, with the same reading, report and progress as contacts
- jobs: browser uploads as ImportJob rows (import_job_create, import_job_start, import_job_run;
  leads.tasks runs the large ones); selectors: import_jobs_for_user, import_job_get_for_user
- forms, views, urls: the pages under /import/
"""
