"""Helpers shared by tests: fixtures' building blocks, clients, builders, stand-ins, scanners.
Tests import from here, never from another test module or from a conftest.py (enforced by
tests/test_architecture_tests.py); conftest.py files hold fixtures only.

Accounts and data: tenants, planning_builders, golden_plan, two_accounts, stored_exports. Calls and clients:
exports_api, strict_app, polling, database, paths, statements (a pool that counts the statements run). Running things: stack (the whole stack on
loopback), fuzz_stack, sandbox_servers, browser, standins (stand-in activities), recording and
changed_workflow (replay histories), heartbeat_workflow (a held step). The architecture tests' scanner: imports.
"""
