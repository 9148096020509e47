"""Agencies, users, roles, API tokens and web sessions."""
