"""Pure renderers: text reports, the session's files at the end of a run, the index and timeline pages."""
