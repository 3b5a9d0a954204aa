"""The PostgreSQL unit tests use the contract suites' server and a fresh schema per test."""

from contract.conftest import postgres_url

__all__ = ["postgres_url"]
