"""Accounts of the people who curate the catalog: Welfare Community Managers, ATS managers, alliance editors.

The public has no accounts. Passwords are kept as scrypt hashes; sign-in attempts are throttled per account
and per address and recorded (who, what, when, from where; never the password).
"""
