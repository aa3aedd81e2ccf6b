"""The `daybook` command. Every command ends in a sentence: a failure is reported as one (what
went wrong and what to do), never as a traceback (`DAYBOOK_DEBUG=1` shows it)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import traceback
from collections.abc import Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar, cast

import nats
import nats.errors
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from daybook_cli.client import Caller, Daybook, Tokens
from daybook_cli.errors import CliError
from daybook_cli.roster_file import read_roster
from daybook_cli.system import SERVICES, LocalSystem
from daybook_cli.targets import RunningSystem, jwt_secret, service_url
from daybook_shared.contracts import Namespace
from daybook_shared.infra import MODES, InfraError, Mode, find_or_start
from daybook_shared.roster import publish_hr_events
from daybook_shared.runtime.auth import Role, mint_token

T = TypeVar("T")

app = typer.Typer(
    name="daybook",
    help="Daybook: a sales organisation's daily management policy as running services.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)
period_app = typer.Typer(help="Appraisal periods.", no_args_is_help=True)
dlq_app = typer.Typer(help="Dead letters: events a consumer could not apply.", no_args_is_help=True)
app.add_typer(period_app, name="period")
app.add_typer(dlq_app, name="dlq")

# Piped into a file or a CI log, the outcome table keeps its columns readable.
console = Console(width=None if sys.stdout.isatty() else 160)
errors = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

InfraOption = Annotated[
    str,
    typer.Option(
        "--infra",
        envvar="DAYBOOK_INFRA",
        help="Where NATS and PostgreSQL come from: auto (NATS_URL/DATABASE_URL, else Docker, "
        "else embedded servers), env, docker or embedded.",
    ),
]


def _mode(value: str) -> Mode:
    if value not in MODES:
        raise CliError(f"--infra must be one of {', '.join(MODES)}, not {value!r}.")
    return cast(Mode, value)


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


# up ------------------------------------------------------------------------------------------


@app.command()
def up(
    infra: InfraOption = "auto",
    workdir: Annotated[Path, typer.Option(help="Where the services' logs go.")] = Path("build/up"),
) -> None:
    """Run the whole system locally until Ctrl-C: NATS, PostgreSQL, the four services."""
    mode = _mode(infra)
    with contextlib.ExitStack() as stack:
        with console.status("Finding or starting NATS and PostgreSQL..."):
            found = stack.enter_context(find_or_start(mode))
        system = LocalSystem(
            found, workdir / "logs", jwt_secret=os.environ.get("DAYBOOK_JWT_SECRET")
        )
        _run(_stay_up(system))
    console.print("Stopped: the services, their databases and streams are gone.")


async def _stay_up(system: LocalSystem) -> None:
    main = asyncio.current_task()
    assert main is not None
    loop = asyncio.get_running_loop()
    for stop_signal in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C, or a process manager
        loop.add_signal_handler(stop_signal, main.cancel)
    state = RunningSystem({}, system.infra.nats_url, system.namespace.prefix)
    try:
        with console.status("Starting the four services..."):
            await system.start()
        state = RunningSystem(system.urls, system.infra.nats_url, system.namespace.prefix)
        state.write()
        console.print(_endpoints_table(system))
        console.print(
            f"NATS {system.infra.nats_url} (namespace [bold]{system.namespace.prefix}[/]), "
            f"PostgreSQL {system.infra.postgres_url} ({system.infra.how}).\n"
            f"Load an organisation: [bold]NATS_URL={system.infra.nats_url} "
            f"DAYBOOK_NAMESPACE={system.namespace.prefix} daybook import-roster roster.csv[/]\n"
            "A token for the APIs: [bold]daybook token --role hr[/]. "
            f"Logs: {system.workdir}. Stop with Ctrl-C."
        )
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        console.print("Stopping...")
    finally:
        await asyncio.to_thread(RunningSystem.forget)
        await system.stop()


def _endpoints_table(system: LocalSystem) -> Table:
    table = Table(title=f"Daybook is up (namespace {system.namespace.prefix})")
    for column in ("service", "API", "OpenAPI", "AsyncAPI"):
        table.add_column(column, no_wrap=True)
    for name, url in system.urls.items():
        table.add_row(name, url, f"{url}/docs  {url}/openapi.json", f"{url}/asyncapi.json")
    return table


# demo ----------------------------------------------------------------------------------------


@app.command()
def demo(
    month: Annotated[str, typer.Option(help="The past month to simulate (YYYY-MM).")] = "2026-09",
    seed: Annotated[int, typer.Option(help="The same seed gives the same month.")] = 7,
    teams: Annotated[int, typer.Option(min=1, max=6)] = 3,
    team_size: Annotated[int, typer.Option(min=1, max=99, help="Salespeople per team.")] = 10,
    out: Annotated[Path, typer.Option(help="Where summary.json and the logs go.")] = Path(
        "build/demo"
    ),
    infra: InfraOption = "auto",
) -> None:
    """Start everything, simulate a month through the APIs, close the period, print outcomes."""
    from daybook_cli.demo import run_demo

    result = run_demo(
        month=month,
        seed=seed,
        teams=teams,
        team_size=team_size,
        out=out,
        infra_mode=_mode(infra),
        console=console,
    )
    summary = result.summary
    bands = ", ".join(f"{count} {band}" for band, count in summary["bands"].items())
    console.print(
        f"{len(result.outcomes)} appraised ({bands}); {summary['rewards']} rewards, "
        f"{summary['disciplinary_actions']} disciplinary actions. "
        f"Summary: {result.summary_path}. Done in {result.seconds:.0f} s; everything stopped.",
        soft_wrap=True,
    )


# import-roster -------------------------------------------------------------------------------


@app.command("import-roster")
def import_roster(
    file: Annotated[Path, typer.Argument(help="The HR system's export: a .csv or .json file.")],
) -> None:
    """Publish the hirings, transfers and leavings in FILE on the HR stream (idempotent).

    One row (CSV, with a header) or object (JSON: a list, or {"events": [...]}) per fact:
    event (hired, transferred or left; default hired), employee_id, effective_on (YYYY-MM-DD),
    display_name, team_id, supervisor_id, role (salesperson, supervisor, hr), timezone (IANA),
    reason (left). Any bad row stops the import before anything is published.

    Reads NATS_URL, DAYBOOK_NAMESPACE and DAYBOOK_NATS_USER / DAYBOOK_NATS_PASSWORD (the
    hr-import user of deploy/nats); without NATS_URL, the system `daybook up` runs, if any."""
    facts = read_roster(file)
    nats_url, namespace = _hr_boundary()
    stored = _run(_publish(facts, nats_url, namespace))
    again = len(facts) - stored
    console.print(
        f"Published {stored} new HR fact(s) from {file} to {nats_url}"
        + (f" (namespace {namespace.prefix})" if namespace.prefix else "")
        + (f"; {again} were already on the HR stream." if again else "."),
        soft_wrap=True,
    )


def _hr_boundary() -> tuple[str, Namespace]:
    nats_url = os.environ.get("NATS_URL")
    prefix = os.environ.get("DAYBOOK_NAMESPACE")
    running = RunningSystem.read()
    if not nats_url and running is not None:
        nats_url = running.nats_url
        prefix = running.namespace if prefix is None else prefix
    return nats_url or "nats://127.0.0.1:4222", Namespace(prefix or "")


async def _publish(facts: list[Any], nats_url: str, namespace: Namespace) -> int:
    user = os.environ.get("DAYBOOK_NATS_USER")
    password = os.environ.get("DAYBOOK_NATS_PASSWORD")

    async def quiet(_: Exception) -> None:
        """Connection errors surface as the exception below."""

    try:
        client = await nats.connect(
            nats_url,
            user=user,
            password=password,
            name="daybook-import-roster",
            connect_timeout=5,
            allow_reconnect=False,
            max_reconnect_attempts=0,
            error_cb=quiet,
        )
    except (OSError, nats.errors.Error) as exc:
        raise CliError(
            f"Could not connect to NATS at {nats_url}"
            + (f" as {user}" if user else "")
            + f": {exc or type(exc).__name__}. Set NATS_URL (and DAYBOOK_NATS_USER/"
            "DAYBOOK_NATS_PASSWORD where the server wants a user)."
        ) from exc
    try:
        return await publish_hr_events(
            client.jetstream(), namespace, facts, recorded_at=datetime.now(UTC)
        )
    except nats.errors.Error as exc:
        raise CliError(
            f"NATS refused the HR facts ({exc or type(exc).__name__}); does the user may publish "
            f"on {namespace.filter('hr')}?"
        ) from exc
    finally:
        await client.close()


# token ---------------------------------------------------------------------------------------


@app.command()
def token(
    role: Annotated[str, typer.Option(help="employee, supervisor, hr or integration.")],
    employee: Annotated[
        str | None, typer.Option(help="The roster id (employee and supervisor tokens).")
    ] = None,
    subject: Annotated[
        str | None, typer.Option(help="Default: the employee id or the role.")
    ] = None,
    hours: Annotated[float, typer.Option(min=0.01, help="Valid for this many hours.")] = 12.0,
) -> None:
    """Print a development token, signed with DAYBOOK_JWT_SECRET or the development key."""
    from datetime import timedelta

    try:
        chosen = Role(role)
    except ValueError:
        raise CliError(
            f"--role must be one of {', '.join(r.value for r in Role)}, not {role!r}."
        ) from None
    if chosen in (Role.EMPLOYEE, Role.SUPERVISOR) and not employee:
        raise CliError(
            f"{'An' if chosen is Role.EMPLOYEE else 'A'} {chosen.value} token acts for "
            "someone on the roster: give --employee <id>."
        )
    try:
        minted = mint_token(
            jwt_secret(),
            role=chosen,
            subject=subject or employee or chosen.value,
            employee_id=employee,
            ttl=timedelta(hours=hours),
        )
    except ValueError as exc:
        raise CliError(f"No token: {exc}.") from None
    print(minted)


# scorecard, period close ---------------------------------------------------------------------


def _daybook() -> Daybook:
    # A person at the keyboard is told at once that a service does not answer.
    return Daybook(
        {name: service_url(name) for name in SERVICES}, Tokens(jwt_secret()), patience=1.0
    )


@app.command()
def scorecard(
    employee: Annotated[str, typer.Argument(help="The employee's roster id.")],
    period: Annotated[str | None, typer.Option(help="Default: the latest period.")] = None,
) -> None:
    """An employee's scorecard: every component, its points and rule ids, and the outcomes."""
    card = _run(_scorecard(employee, period))
    table = Table(
        title=f"{card['employee_id']} in {card['period_id']}: {card['score']} ({card['band']}, "
        f"{card['status']}, policy {card['policy_version']})"
    )
    for column in ("component", "rule ids", "weight", "points", "events"):
        table.add_column(column)
    for component in card["components"]:
        table.add_row(
            component["title"] + (" (no data)" if component["excluded"] else ""),
            ", ".join(component["rule_ids"]),
            str(component["effective_weight"]),
            str(component["points"]),
            str(len(component.get("events", []))),
        )
    console.print(table)
    from daybook_cli.outcomes import describe_action, describe_reward

    if card.get("reward"):
        console.print(f"Reward: {describe_reward(card['reward']) or 'none'}")
    for action in card.get("actions", []):
        console.print(f"[red]Discipline[/]: {describe_action(action)}")


async def _scorecard(employee: str, period: str | None) -> dict[str, Any]:
    async with _daybook() as daybook:
        hr = Caller.hr()
        if period is None:
            periods = await daybook.appraisal.call("GET", "/appraisal/periods", hr)
            if not periods:
                raise CliError("The appraisal service has no period yet; name one with --period.")
            period = max(periods, key=lambda p: p["starts_on"])["period_id"]
        path = f"/appraisal/periods/{period}/scorecards/{employee}"
        card: dict[str, Any] = await daybook.appraisal.call("GET", path, hr)
        return card


@period_app.command("close")
def close(period: Annotated[str, typer.Argument(help="The period id, e.g. 2026-09.")]) -> None:
    """Close a period: finalise every score and issue rewards and discipline (idempotent)."""
    from daybook_cli.outcomes import close_period

    async def closing() -> dict[str, Any]:
        async with _daybook() as daybook:
            return await close_period(daybook, Caller.hr(), period)

    closed = _run(closing())
    console.print(
        f"Period {closed['period_id']} is {closed['status']}: {closed['appraised_count']} "
        f"appraised under policy {closed['policy_version']} "
        f"({closed.get('finalised_now', 0)} finalised by this call)."
    )


# dlq -----------------------------------------------------------------------------------------


@dlq_app.command("list")
def dlq_list(
    service: Annotated[str | None, typer.Option(help="One service; default: all four.")] = None,
    include_replayed: Annotated[bool, typer.Option(help="Also those replayed already.")] = False,
) -> None:
    """The dead letters of each service's consumers."""
    names = [_service(service)] if service else list(SERVICES)

    async def listing() -> dict[str, list[dict[str, Any]]]:
        async with _daybook() as daybook:
            params = {"include_replayed": "true" if include_replayed else "false"}
            return {
                name: await daybook[name].call(
                    "GET", "/admin/dead-letters", Caller.hr(), params=params
                )
                for name in names
            }

    found = _run(listing())
    table = Table(title="Dead letters")
    for column in ("service", "id", "consumer", "event", "deliveries", "parked", "error"):
        table.add_column(column)
    for name, letters in found.items():
        for letter in letters:
            table.add_row(
                name,
                str(letter["id"]),
                letter["consumer"],
                f"{letter.get('event_type') or '?'} {letter.get('event_id') or ''}",
                str(letter["deliveries"]),
                str(letter["parked_at"]),
                letter["error"],
            )
    if table.row_count:
        console.print(table)
    else:
        console.print(f"No dead letters in {', '.join(names)}.")


@dlq_app.command("replay")
def dlq_replay(
    service: Annotated[str, typer.Argument(help="attendance, reporting, crm or appraisal.")],
    dead_letter_id: Annotated[int, typer.Argument(help="The id `daybook dlq list` shows.")],
) -> None:
    """Apply a dead letter again (after the fix that lets it apply)."""
    name = _service(service)

    async def replaying() -> Any:
        async with _daybook() as daybook:
            path = f"/admin/dead-letters/{dead_letter_id}/replay"
            return await daybook[name].call("POST", path, Caller.hr())

    _run(replaying())
    console.print(f"Dead letter {dead_letter_id} of {name} applied.")


def _service(name: str) -> str:
    if name not in SERVICES:
        raise CliError(f"The service must be one of {', '.join(SERVICES)}, not {name!r}.")
    return name


# the edge ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """Run the command; report every failure as a sentence and exit 1 (Ctrl-C exits 130)."""
    try:
        app(args=argv, prog_name="daybook", standalone_mode=False)
    except CliError as exc:
        _fail(str(exc))
    except InfraError as exc:
        _fail(f"NATS or PostgreSQL could not be had: {exc}")
    except KeyboardInterrupt:
        errors.print("Interrupted.")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        errors.print("Aborted.")
        sys.exit(1)
    except typer.TyperException as exc:  # a usage error: an unknown option, a missing argument
        _fail(f"{exc.format_message().rstrip('.')}. See daybook --help.", status=exc.exit_code)
    except Exception as exc:  # the edge: anything unexpected still reads as a sentence
        if os.environ.get("DAYBOOK_DEBUG"):
            traceback.print_exc()
        _fail(
            f"daybook stopped on an unexpected {type(exc).__name__}: {exc}. "
            "Run again with DAYBOOK_DEBUG=1 to see where."
        )


def _fail(message: str, status: int = 1) -> None:
    errors.print(f"[red]Error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    sys.exit(status)
