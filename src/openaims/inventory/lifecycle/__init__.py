"""Life-cycle gates (A.6.2): what an AI system needs before it may enter a life-cycle stage.

A *gate item* is a named check on one system (`register_item`); an organization's *gate policy*
says which items each stage asks for (`gate_policy_for`, edited with `gate_policy_update`);
`system_transition` moves a system between stages and refuses a gated move while items are
missing, unless the organization's owner or the system's business owner overrides it with a
recorded reason.

An item may apply only to some systems: a policy entry `{"item": key, "when": {"risk_class": [...]}}`
(in lifecycle.yaml or an organization's policy) asks for it only from systems of those EU AI Act
risk classes; for the others it shows as not required and never blocks. The default asks high-risk
systems for an approved impact assessment and accepted residual risks before Deployment.

The package splits the work by job: `items` (the gate-item registry), `builtin` (the inventory's own items,
registered by InventoryConfig.ready()), `policy`, `evaluation` and `transitions` (the service). The page panel
lives with the views (`inventory.views.lifecycle`).
"""
