"""Jobs too long for a request: exports, on-demand snapshots, recounts and anonymisation.

`runner.Jobs` starts them (202 and a job id), reports on them and runs them (the
`job_worker` function, fed by an SQS queue; locally tools/job_pump.py); `records` holds a
job's item, lease and progress; `work` what each kind does, whole or split over shard
ranges; `dispatch` where the messages go.
"""
