"""Evidence: the installation's signing key, the signed evidence pack of an export, and the
audit export of the account's review decisions (docs/evidence.md)."""
