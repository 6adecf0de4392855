"""Delivering the letter: a snapshot's PDF sent to the addressee as one MIME message through
SES, recorded with what proves it (the manifest's and the PDF's sha256, SES's message id),
and SES's delivery, bounce and complaint events read back onto the record."""
