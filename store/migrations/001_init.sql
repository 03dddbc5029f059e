-- Accounts, keys and reference data.
CREATE TABLE accounts (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    id          text PRIMARY KEY,
    account_id  text NOT NULL REFERENCES accounts(id),
    name        text NOT NULL,
    key_hash    bytea NOT NULL UNIQUE,
    key_prefix  text NOT NULL,
    roles       text[] NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
CREATE INDEX api_keys_account ON api_keys(account_id, id);

CREATE TABLE warehouses (
    id                  text PRIMARY KEY,
    account_id          text NOT NULL REFERENCES accounts(id),
    name                text NOT NULL,
    address             jsonb NOT NULL,
    shipment_mode       text NOT NULL,
    notification_url    text,
    notification_secret text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX warehouses_account ON warehouses(account_id, id);

CREATE TABLE brokers (
    id                      text PRIMARY KEY,
    account_id              text NOT NULL REFERENCES accounts(id),
    name                    text NOT NULL,
    filer_code              text,
    transport_type          text NOT NULL,
    recipient_email         text,
    webhook_url             text,
    webhook_secret          text,
    classifies_goods        boolean NOT NULL DEFAULT false,
    supported_destinations  text[] NOT NULL DEFAULT '{US}',
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX brokers_account ON brokers(account_id, id);

-- Synced demand.
CREATE TABLE products (
    id                 text PRIMARY KEY,
    account_id         text NOT NULL REFERENCES accounts(id),
    external_id        text NOT NULL,
    description        text,
    hs_code            text,
    country_of_origin  text,
    unit_value_usd     numeric(14, 2),
    weight_kg          numeric(12, 3),
    manufacturer       jsonb,
    attributes         jsonb NOT NULL DEFAULT '{}',
    content_hash       bytea NOT NULL,
    version            integer NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, external_id)
);

CREATE TABLE orders (
    id                       text PRIMARY KEY,
    account_id               text NOT NULL REFERENCES accounts(id),
    external_id              text NOT NULL,
    destination_country      text NOT NULL,
    destination_region       text,
    destination_postal_code  text,
    consignee                jsonb,
    metadata                 jsonb,
    order_value_usd          numeric(14, 2) NOT NULL,
    content_hash             bytea NOT NULL,
    version                  integer NOT NULL DEFAULT 1,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, external_id)
);

CREATE TABLE order_lines (
    order_id        text NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    line_no         integer NOT NULL,
    product_id      text NOT NULL REFERENCES products(id),
    quantity        integer NOT NULL CHECK (quantity >= 1),
    unit_value_usd  numeric(14, 2),
    line_value_usd  numeric(14, 2),
    PRIMARY KEY (order_id, line_no)
);

-- Exports: the projection inspect reads, and the append-only event log.
CREATE TABLE exports (
    id                  text PRIMARY KEY,
    account_id          text NOT NULL REFERENCES accounts(id),
    warehouse_id        text NOT NULL REFERENCES warehouses(id),
    broker_id           text NOT NULL REFERENCES brokers(id),
    destination_country text NOT NULL,
    order_ids           text[] NOT NULL,
    status              text NOT NULL,
    readiness_state     text NOT NULL,
    plan_hash           text NOT NULL,
    plan                jsonb NOT NULL,
    approval            jsonb NOT NULL,
    execution_requested boolean NOT NULL DEFAULT false,
    attention           jsonb,
    customs_package_id  text,
    workflow_id         text NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX exports_account ON exports(account_id, id);
CREATE INDEX exports_account_status ON exports(account_id, status, id);

CREATE TABLE export_events (
    id           text PRIMARY KEY,
    export_id    text NOT NULL REFERENCES exports(id),
    seq          integer NOT NULL,
    dedupe_key   text NOT NULL,
    type         text NOT NULL,
    occurred_at  timestamptz NOT NULL DEFAULT now(),
    actor        text NOT NULL,
    data         jsonb NOT NULL DEFAULT '{}',
    UNIQUE (export_id, seq),
    UNIQUE (export_id, dedupe_key)
);

CREATE TABLE customs_packages (
    id              text PRIMARY KEY,
    account_id      text NOT NULL REFERENCES accounts(id),
    export_id       text NOT NULL REFERENCES exports(id),
    plan_hash       text NOT NULL,
    package_number  text NOT NULL UNIQUE,
    state           text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (export_id, plan_hash)
);
CREATE SEQUENCE customs_package_numbers;

CREATE TABLE artifacts (
    id                 text PRIMARY KEY,
    account_id         text NOT NULL REFERENCES accounts(id),
    customs_package_id text NOT NULL REFERENCES customs_packages(id),
    artifact_type      text NOT NULL,
    filename           text NOT NULL,
    content_type       text NOT NULL,
    size_bytes         integer NOT NULL,
    sha256             text NOT NULL,
    content            bytea NOT NULL,
    generated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (customs_package_id, artifact_type)
);

CREATE TABLE broker_submissions (
    id                 text PRIMARY KEY,
    account_id         text NOT NULL REFERENCES accounts(id),
    export_id          text NOT NULL UNIQUE REFERENCES exports(id),
    broker_id          text NOT NULL REFERENCES brokers(id),
    customs_package_id text NOT NULL REFERENCES customs_packages(id),
    submission_type    text NOT NULL,
    status             text NOT NULL,
    recipient_email    text,
    recipient_url      text,
    subject            text,
    message_id         text,
    sent_at            timestamptz,
    error_message      text,
    attempts           integer NOT NULL DEFAULT 0,
    broker_reference   text,
    entry_number       text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notifications (
    id            text PRIMARY KEY,
    account_id    text NOT NULL REFERENCES accounts(id),
    export_id     text NOT NULL UNIQUE REFERENCES exports(id),
    channel       text NOT NULL,
    recipient     text,
    status        text NOT NULL,
    attempts      integer NOT NULL DEFAULT 0,
    last_error    text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    delivered_at  timestamptz
);

-- Idempotency records: one per (account, key); the response is stored once the request succeeded.
CREATE TABLE idempotency_keys (
    account_id       text NOT NULL REFERENCES accounts(id),
    key              text NOT NULL,
    fingerprint      bytea NOT NULL,
    status_code      integer,
    response_body    bytea,
    response_headers jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    PRIMARY KEY (account_id, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys(expires_at);
