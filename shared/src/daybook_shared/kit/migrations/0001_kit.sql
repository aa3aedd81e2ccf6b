-- The kit's tables, created in every service's own schema.

-- The event log, which is also the outbox: the relay publishes from it in commit order.
-- tx_id lets readers take only what no running transaction can still precede (see eventstore.py).
CREATE TABLE events (
    position        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tx_id           xid8 NOT NULL DEFAULT pg_current_xact_id(),
    event_id        uuid NOT NULL UNIQUE,
    stream_id       text NOT NULL,
    stream_version  integer NOT NULL CHECK (stream_version >= 1),
    event_type      text NOT NULL,
    schema_version  integer NOT NULL,
    subject         text NOT NULL,
    occurred_at     timestamptz NOT NULL,
    recorded_at     timestamptz NOT NULL,
    producer        text NOT NULL,
    actor_id        text,
    correlation_id  text,
    causation_id    text,
    payload         jsonb NOT NULL,
    CONSTRAINT events_stream_version_key UNIQUE (stream_id, stream_version)
);
CREATE INDEX events_commit_order ON events (tx_id, position);

-- A command's answer, kept against the client's idempotency key.
CREATE TABLE idempotency_keys (
    key          text PRIMARY KEY,
    fingerprint  text NOT NULL,
    response     jsonb,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- How far each relay (or whole-log reader) has got, as a (tx_id, position) watermark.
CREATE TABLE log_readers (
    name        text PRIMARY KEY,
    tx_id       xid8 NOT NULL DEFAULT '0',
    position    bigint NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Events a consumer has applied; written in the same transaction as the projection change.
CREATE TABLE inbox (
    consumer      text NOT NULL,
    event_id      uuid NOT NULL,
    processed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

-- Messages a consumer could not apply: kept with the reason, listed and replayable after a fix.
CREATE TABLE dead_letters (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consumer     text NOT NULL,
    subject      text NOT NULL,
    stream_seq   bigint,
    event_id     uuid,
    event_type   text,
    data         bytea NOT NULL,
    headers      jsonb NOT NULL DEFAULT '{}',
    error        text NOT NULL,
    deliveries   integer NOT NULL,
    parked_at    timestamptz NOT NULL DEFAULT now(),
    replayed_at  timestamptz,
    UNIQUE (consumer, stream_seq)
);
CREATE INDEX dead_letters_open ON dead_letters (consumer) WHERE replayed_at IS NULL;

