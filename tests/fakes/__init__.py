"""Test doubles for the layers below the public API (see ``fake_engine``)."""
