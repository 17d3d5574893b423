"""The system card: an AI system's technical documentation generated from the register (A.6.2.7, A.8.2).

`card_content(system)` builds the card's sections (shaped after common model-card practice: intended
use, data, evaluation, limitations, oversight, contacts) from the register in a fixed number of
queries. Missing items stay in the card as "Not documented" and are listed as `gaps`, so what is
not written down is visible rather than silently left out. The draft is always generated live;
`card_publish` freezes it as an immutable, numbered version with a SHA-256 of its content.
"""

from openaims.inventory.card.content import FORMAT, NOT_DOCUMENTED, card_content, content_hash
from openaims.inventory.card.panel import card_panel
from openaims.inventory.card.render import (
    card_filename,
    card_html,
    card_markdown,
    card_meta,
    card_pdf,
    md_escape,
    version_meta,
)
from openaims.inventory.card.service import (
    card_publish,
    card_versions,
    get_card_version_for_system,
    latest_card_version,
)

__all__ = [
    "FORMAT",
    "NOT_DOCUMENTED",
    "card_content",
    "card_filename",
    "card_html",
    "card_markdown",
    "card_meta",
    "card_panel",
    "card_pdf",
    "card_publish",
    "card_versions",
    "content_hash",
    "get_card_version_for_system",
    "latest_card_version",
    "md_escape",
    "version_meta",
]
