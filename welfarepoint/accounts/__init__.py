"""Accounts of the people who curate the catalog: Welfare Community Managers, ATS managers, alliance editors and
the providers (enti gestori) who update their own organisation's listings.

The public has no accounts. Passwords are kept as scrypt hashes; sign-in attempts are throttled per account
and per address and recorded (who, what, when, from where; never the password). People are invited by e-mail
and reset forgotten passwords from signed, single-use links (:mod:`~welfarepoint.accounts.people`); every act on
an account is recorded.
"""
