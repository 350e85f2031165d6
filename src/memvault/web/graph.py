"""The Graph page (being built)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from memvault.web.context import PageContext


def routes(context: PageContext) -> list[BaseRoute]:
    def page(request: Request) -> Response:
        return context.render(request, "placeholder.html", heading="Graph")

    return [Route("/graph", page)]
