"""The HTTP baseline: the same web framework and server, endpoints that do nothing.

Served by uvicorn in its own process, configured like the services (`runtime.service.run`: no
access log, no uvloop or httptools unless installed for both), so the difference to the
attendance service's clock-in is the service's own work: authentication, validation, the command,
its transaction and the outbox.
"""

from fastapi import FastAPI

app = FastAPI()


@app.post("/employees/{employee_id}/clock-in", status_code=201)
async def clock_in(employee_id: str) -> dict[str, str]:
    return {"employee_id": employee_id}


@app.get("/scorecards/{employee_id}")
async def scorecard(employee_id: str) -> dict[str, str]:
    return {"employee_id": employee_id}
