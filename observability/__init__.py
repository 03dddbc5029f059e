"""What operators see of a running process: Prometheus metrics, OpenTelemetry traces, JSON logs.

A leaf below every layer that records something: it imports only `config` and its libraries.
"""
