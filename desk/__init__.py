"""Shared core of Ottawa Desk: the settings object and the error types every layer raises."""
