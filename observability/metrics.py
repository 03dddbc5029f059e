"""The service's Prometheus metrics: one registry, every name defined here and only here.

Counters are process-local and summed by Prometheus across processes; the gauges read from the
database are set when scraped (see `services.metrics`). When the API runs in
several processes, one scrape sums their counters and takes each database gauge's latest value
(`multiprocess_mode="mostrecent"`; see `observability.exposition`).
"""

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)

disable_created_metrics()  # type: ignore[no-untyped-call]  # no `*_created` series: Prometheus does not need them
REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "entrygo_http_requests_total",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
    registry=REGISTRY,
)
HTTP_DURATION = Histogram(
    "entrygo_http_request_duration_seconds",
    "Time from a request's arrival to its response, by route template and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)
EXPORTS = Gauge(
    "entrygo_exports",
    "Exports by current status (read from the database, cached briefly).",
    ["status"],
    registry=REGISTRY,
    multiprocess_mode="mostrecent",
)
REVIEW_QUEUE_OLDEST_AGE = Gauge(
    "entrygo_review_queue_oldest_age_seconds",
    "Age of the oldest plan awaiting review (0 when none waits).",
    registry=REGISTRY,
    multiprocess_mode="mostrecent",
)
BROKER_REQUESTS_OPEN = Gauge(
    "entrygo_broker_requests_open",
    "Broker information requests and correctable rejections waiting for an answer.",
    registry=REGISTRY,
    multiprocess_mode="mostrecent",
)
CUSTOMS_HOLD_OLDEST_AGE = Gauge(
    "entrygo_customs_hold_oldest_age_seconds",
    "Age of the oldest customs hold still open (0 when none is).",
    registry=REGISTRY,
    multiprocess_mode="mostrecent",
)
BROKER_ANSWER_LATENCY = Histogram(
    "entrygo_broker_answer_latency_seconds",
    "Time from the submission's send to each broker callback received, by callback type.",
    ["type"],
    buckets=(1.0, 10.0, 60.0, 300.0, 1800.0, 3600.0, 7200.0, 21600.0, 86400.0, 172800.0),
    registry=REGISTRY,
)
ACTIVITY_ATTEMPTS = Counter(
    "entrygo_activity_attempts_total",
    "Activity attempts by activity and outcome (completed, failed, non_retryable, cancelled).",
    ["activity", "outcome"],
    registry=REGISTRY,
)
BROKER_SUBMISSIONS = Counter(
    "entrygo_broker_submissions_total",
    "Submissions sent to brokers by transport (webhook, email) and outcome "
    "(accepted, refused, failed, invalid_address).",
    ["transport", "outcome"],
    registry=REGISTRY,
)
WAREHOUSE_NOTIFICATIONS = Counter(
    "entrygo_warehouse_notifications_total",
    "Warehouse notifications sent, by outcome (delivered, failed, invalid_address).",
    ["outcome"],
    registry=REGISTRY,
)
WEBHOOK_DELIVERIES = Counter(
    "entrygo_webhook_deliveries_total",
    "Event deliveries to clients' webhook endpoints, by outcome (delivered, retry, failed).",
    ["outcome"],
    registry=REGISTRY,
)
DESTINATIONS = Gauge(
    "entrygo_destinations",
    "Destinations (brokers, warehouses, webhook endpoints a send went to) by kind and breaker "
    "state (CLOSED, OPEN, HALF_OPEN, PAUSED), read from the database.",
    ["kind", "state"],
    registry=REGISTRY,
    multiprocess_mode="mostrecent",
)
EXPORTS_WAITING = Gauge(
    "entrygo_exports_waiting_for_destination",
    "Exports whose send waits for an open or paused destination, by destination kind.",
    ["kind"],
    registry=REGISTRY,
    multiprocess_mode="mostrecent",
)
DESTINATION_TRANSITIONS = Counter(
    "entrygo_destination_transitions_total",
    "Destination breaker changes by kind (broker, warehouse, webhook) and event "
    "(DESTINATION_OPENED, DESTINATION_CLOSED, DESTINATION_PAUSED, DESTINATION_RESUMED).",
    ["kind", "event"],
    registry=REGISTRY,
)
DESTINATION_PROBES = Counter(
    "entrygo_destination_probes_total",
    "Probes of open destinations by kind and outcome (started, succeeded, failed).",
    ["kind", "outcome"],
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "entrygo_rate_limited_total",
    "Requests refused with 429 because their account was over its limit.",
    registry=REGISTRY,
)

# every name this service exports besides the Temporal SDK's own (temporal_*): the dashboard test
# and the docs check against it
NAMES = (
    "entrygo_http_requests_total",
    "entrygo_http_request_duration_seconds",
    "entrygo_exports",
    "entrygo_review_queue_oldest_age_seconds",
    "entrygo_activity_attempts_total",
    "entrygo_broker_submissions_total",
    "entrygo_warehouse_notifications_total",
    "entrygo_webhook_deliveries_total",
    "entrygo_rate_limited_total",
    "entrygo_destinations",
    "entrygo_exports_waiting_for_destination",
    "entrygo_destination_transitions_total",
    "entrygo_destination_probes_total",
)
