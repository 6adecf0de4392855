"""The nightly (and on-demand) snapshot of a letter's list into the exports bucket, one
concern a module: the day's claim (claim.py), the files (contents.py), the diff against
the previous day (diff.py), what is published and how it is checked (published.py), and
the job that runs them (job.py)."""
