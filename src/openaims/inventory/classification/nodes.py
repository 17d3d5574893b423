"""Where the classification reads the EU AI Act catalog: its URNs and routes, and one node as the wizard sees it."""

from __future__ import annotations

from dataclasses import dataclass

EU_AI_ACT = "urn:openaims:framework:eu-ai-act"
PREFIX = "urn:openaims:eu-ai-act:"
NOT_LOADED = "the EU AI Act catalog is not loaded; run `aims catalog load` first"

# Where each question's options sit in the catalog: the law's own articles, found by URN or route.
ART_5 = PREFIX + "art-5"
ANNEX_III = PREFIX + "annex-iii"
ART_50 = PREFIX + "art-50"
ART_51 = PREFIX + "art-51"
ART_53 = PREFIX + "art-53"
ART_55 = PREFIX + "art-55"
ROUTE_ANNEX_I = "annex_i"
ROUTE_ANNEX_III = "annex_iii"
ROUTE_DEROGATION = "annex_iii_derogation"


@dataclass(frozen=True)
class Node:
    urn: str
    parent: str | None
    ref_id: str
    kind: str
    title: str
    description: str
    guidance: str
    annotations: dict
    assessable: bool

    @property
    def condition(self) -> str:
        return self.annotations.get("condition", "")
