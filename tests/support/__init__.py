"""What the tests share: fixtures (see ``tests/conftest.py``) and helpers. Test modules import only from here."""
