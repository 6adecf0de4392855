"""Updates to the signers who opted in: compose and preview (service.py), who they reach
(audience.py), the fan-out as a job (fanout.py), each mail once at the send rate (mailer.py),
the one-click unsubscribe (unsubscribe.py)."""
