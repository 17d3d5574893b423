"""EU AI Act classification of an AI system (Art. 5, 6, 50 and Chapter V; legal requirements under 4.1).

The questions and their options come from the EU AI Act catalog (`catalog/data/frameworks/eu-ai-act.yaml`):
the Art. 5 practices, the Annex III points, the Art. 6(3) conditions and the Art. 50 cases are its nodes,
and which obligations follow is read from their annotations (`roles`, `applies_to_risk_class`, `route`,
`annex_iii_points`, `trigger`, `systemic_risk`, `condition`). Only the order of the decision is code:
prohibited → high-risk (Annex I, then Annex III unless an Art. 6(3) derogation holds) → transparency →
minimal, with general-purpose AI model duties beside it.

The package splits the work by job: `catalog` (the EU AI Act nodes as the wizard reads them), `questions`
(the questions and the validated answers), `engine` (the decision), `service` (the audited write) and
`selectors` (reads for pages and the API). The page panel lives with the views.
"""
