"""The review console: server-rendered pages for compliance reviewers and operators."""
