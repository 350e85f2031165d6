-- Who runs an import and why it stopped: a run whose owner process is gone is shown as
-- interrupted instead of running forever, and a run that failed keeps its error.
ALTER TABLE import_runs ADD COLUMN owner TEXT;
ALTER TABLE import_runs ADD COLUMN error TEXT;
