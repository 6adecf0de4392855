"""Organisers' work on a letter, one use case a module: the queue and its search
(queue.py), actions on signatures (actions.py), the letter itself (letter_admin.py) and
the recount that checks every counter (recount.py).

Every change to a signature goes through `transitions.Transitions.move`, which moves
state, index keys, counts and the audit record in one transaction.
"""
