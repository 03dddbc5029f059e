-- Inspect reads the export's amendments (store/amendments.py `amendments_of`) and its newest
-- change request, answered or not (store/review_work.py `last_change_request`), on every call.
-- Both tables grow with the exports and neither had an index led by export_id: `make
-- bench-scale` found each read a whole-table scan even with sequential scans turned off.
CREATE INDEX IF NOT EXISTS submission_amendments_export
    ON submission_amendments (export_id, number);
CREATE INDEX IF NOT EXISTS review_change_requests_export
    ON review_change_requests (export_id, id DESC);
