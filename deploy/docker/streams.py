"""Declare a context's JetStream stream as its owner does, or wait until other streams exist.

    python /app/bin/streams.py declare hr
    python /app/bin/streams.py wait hr attendance [--timeout SECONDS]

In a secured deployment (deploy/nats/) only a stream's owner may create it; a service that
consumes another context may only read the stream's info. Two jobs follow:

- `declare`: the HR stream's owner, the roster importer, runs only when a roster arrives, so
  compose (service `hr-stream`) and Kubernetes (Job `hr-stream`) declare it once, as the
  `hr-import` user, before the services start. The configuration is the kit's own
  (`Namespace.stream_config`), so it is the stream the importer and the services expect.
- `wait`: a Kubernetes init container of each consuming service waits, with the service's own
  credentials, until the streams it consumes have been declared by their owners, instead of the
  service failing at start-up and backing off.

Settings come from the environment under a service's names: `NATS_URL`, `DAYBOOK_NATS_USER`,
`DAYBOOK_NATS_PASSWORD`, `DAYBOOK_NAMESPACE`, `DAYBOOK_STREAM_REPLICAS` (default 1; 3 on a
three-node JetStream cluster) and `DAYBOOK_REQUEST_TIMEOUT_S` (default 10).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

import nats
import nats.errors
from nats.aio.client import Client as NatsClient
from nats.js.errors import NotFoundError
from pydantic import AliasChoices, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from daybook_shared.contracts import Context, Namespace

CONNECT_TIMEOUT_S = 5
WAIT_POLL_S = 2.0
DEFAULT_WAIT_TIMEOUT_S = 600.0


class StreamSettings(BaseSettings):
    """The NATS part of a service's settings, under the same variable names.

    Not `ServiceSettings`: that one asks for a token key in production, which a job that only
    declares or looks at streams has no use for.
    """

    model_config = SettingsConfigDict(
        env_prefix="DAYBOOK_", extra="ignore", populate_by_name=True, hide_input_in_errors=True
    )

    nats_url: str = Field(
        default="nats://127.0.0.1:4222",
        validation_alias=AliasChoices("DAYBOOK_NATS_URL", "NATS_URL"),
    )
    nats_user: str | None = None
    nats_password: SecretStr | None = None
    namespace: str = Field(default="", pattern=r"^[A-Za-z0-9_-]*$")
    stream_replicas: int = Field(default=1, ge=1, le=5)
    # A request the user may not make is not answered at all: this is how long that takes to tell.
    request_timeout_s: float = Field(default=10.0, gt=0)


async def _connect(settings: StreamSettings, purpose: str) -> NatsClient:
    password = settings.nats_password.get_secret_value() if settings.nats_password else None
    return await nats.connect(
        settings.nats_url,
        user=settings.nats_user,
        password=password,
        name=f"daybook-streams-{purpose}",
        connect_timeout=CONNECT_TIMEOUT_S,
        allow_reconnect=False,
    )


async def declare(context: Context, settings: StreamSettings) -> str:
    """Create the stream, or bring an existing one to the current configuration; return its name."""
    config = Namespace(settings.namespace).stream_config(context, replicas=settings.stream_replicas)
    assert config.name is not None
    nc = await _connect(settings, f"declare-{context}")
    try:
        js = nc.jetstream(timeout=settings.request_timeout_s)
        try:
            await js.stream_info(config.name)
        except NotFoundError:
            await js.add_stream(config)
        else:
            await js.update_stream(config)
    finally:
        await nc.close()
    return config.name


async def wait(
    contexts: Sequence[Context],
    settings: StreamSettings,
    *,
    timeout_s: float = DEFAULT_WAIT_TIMEOUT_S,
    poll_s: float = WAIT_POLL_S,
) -> list[str]:
    """Return the streams' names once all of them exist; TimeoutError names those still missing."""
    namespace = Namespace(settings.namespace)
    missing = [namespace.stream_name(context) for context in contexts]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    nc = await _connect(settings, "wait")
    try:
        js = nc.jetstream(timeout=settings.request_timeout_s)
        while True:
            still_missing = []
            for name in missing:
                try:
                    await js.stream_info(name)
                except NotFoundError:
                    still_missing.append(name)
            missing = still_missing
            if not missing:
                return [namespace.stream_name(context) for context in contexts]
            if loop.time() >= deadline:
                raise TimeoutError(f"after {timeout_s:g} s still no stream {', '.join(missing)}")
            print(f"waiting for {', '.join(missing)}", file=sys.stderr, flush=True)
            await asyncio.sleep(poll_s)
    finally:
        await nc.close()


def _parser() -> argparse.ArgumentParser:
    contexts = [context.value for context in Context]
    parser = argparse.ArgumentParser(prog="streams.py", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    declare_command = commands.add_parser("declare", help="create or update a stream, as its owner")
    declare_command.add_argument("context", choices=contexts)
    wait_command = commands.add_parser("wait", help="wait until streams exist")
    wait_command.add_argument("contexts", choices=contexts, nargs="+")
    wait_command.add_argument("--timeout", type=float, default=DEFAULT_WAIT_TIMEOUT_S)
    return parser


def main(argv: Sequence[str]) -> int:
    arguments = _parser().parse_args(argv)
    try:
        settings = StreamSettings()
    except ValidationError as exc:
        print(f"bad settings: {exc}", file=sys.stderr)
        return 2
    try:
        if arguments.command == "declare":
            name = asyncio.run(declare(Context(arguments.context), settings))
            print(f"stream {name} is declared")
        else:
            contexts = [Context(value) for value in arguments.contexts]
            names = asyncio.run(wait(contexts, settings, timeout_s=arguments.timeout))
            print(f"streams {', '.join(names)} exist")
    # TimeoutError, refused connections and NATS errors (a permissions violation ends as a
    # request without an answer) are all reported as one sentence, not a traceback.
    except (OSError, nats.errors.Error) as exc:
        print(f"{arguments.command} failed: {exc!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
