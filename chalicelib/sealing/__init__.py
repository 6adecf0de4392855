"""Signers' personal data sealed at rest (docs/PRIVACY.md, "Sealed addresses").

Each letter has its own key pair. The public half is on the letter's item, and any function
can seal with it (box.seal). The private half exists only wrapped by AWS KMS, in SSM
Parameter Store, never in the table. Three modules, one per power, so that each function's
import closure (and its IAM policy, tests/infra) holds only the power it needs:

  seal.py    make a letter's key pair, seal an address       the API (sign-on, imports)
  unseal.py  unwrap a letter's private key, open an address  the mail worker, export jobs
  shred.py   destroy a letter's keys (crypto-shredding)      the retention job

This package's __init__ imports none of them.
"""
