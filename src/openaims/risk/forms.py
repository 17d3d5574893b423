"""Forms of the risk pages. They check shape only; the rules (who may accept, levels, scales) live in services."""

from __future__ import annotations

import re

from django import forms

from openaims.controls.forms import MemberChoiceField
from openaims.inventory.models import AISystem
from openaims.lib.concurrency import add_revision
from openaims.risk.criteria import CriteriaData
from openaims.risk.models import ActionStatus, TreatmentOption
from openaims.tenancy.roles import ACCEPTING_ROLES, accepting_role_phrase

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXTAREA = forms.Textarea(attrs={"rows": 3})
_SYSTEM_REF = re.compile(r"^(?:AIS-?)?(\d{1,9})$", re.IGNORECASE)


def _node_label(node) -> str:
    return f"{node.ref_id} {node.title}".strip()


class RiskForm(forms.Form):
    """A risk's register entry: what it is, where it applies, where it comes from, who owns it."""

    title = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=TEXTAREA)
    systems = forms.CharField(
        required=False,
        label="AI systems",
        help_text="AI system numbers separated by commas, e.g. AIS-1, AIS-4. Empty: the risk is organization-wide.",
    )
    sources = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple, label="Risk sources")
    other_sources = forms.CharField(
        required=False, widget=TEXTAREA, label="Other risk sources", help_text="Your own, one a line."
    )
    objectives = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Objectives at stake"
    )
    other_objectives = forms.CharField(
        required=False, widget=TEXTAREA, label="Other objectives", help_text="Your own, one a line."
    )
    existing_controls = forms.CharField(
        required=False, widget=TEXTAREA, help_text="What already reduces the risk before any new treatment."
    )
    treatment_plan = forms.CharField(
        required=False, widget=TEXTAREA, help_text="How the risk is treated; list the actions below."
    )
    review_date = forms.DateField(required=False, widget=DATE, help_text="When the risk is next reviewed.")

    def __init__(self, *args, organization, members=(), sources=(), objectives=(), risk=None, links=None, **kwargs):
        if risk is not None and "initial" not in kwargs:
            links = links or {}
            kwargs["initial"] = {
                "title": risk.title,
                "description": risk.description,
                "owner": str(risk.owner_id or ""),
                "systems": ", ".join(s.ref for s in links.get("systems", [])),
                "sources": [n.urn for n in links.get("sources", [])],
                "objectives": [n.urn for n in links.get("objectives", [])],
                "other_sources": risk.other_sources,
                "other_objectives": risk.other_objectives,
                "existing_controls": risk.existing_controls,
                "treatment_plan": risk.treatment_plan,
                "review_date": risk.review_date,
            }
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.fields["owner"] = MemberChoiceField(
            required=False, users=members, label="Risk owner", help_text="Accepts the residual risk; not its author."
        )
        self.source_nodes = {node.urn: node for node in sources}
        self.objective_nodes = {node.urn: node for node in objectives}
        self.fields["sources"].choices = [(urn, _node_label(n)) for urn, n in self.source_nodes.items()]
        self.fields["objectives"].choices = [(urn, _node_label(n)) for urn, n in self.objective_nodes.items()]
        if not self.source_nodes:
            del self.fields["sources"]
        if not self.objective_nodes:
            del self.fields["objectives"]
        self.order_fields(["title", "description", "owner", "systems"])

    def clean_systems(self) -> list[AISystem]:
        text = self.cleaned_data["systems"]
        numbers = []
        for part in re.split(r"[,\s;]+", text.strip()):
            if not part:
                continue
            match = _SYSTEM_REF.match(part)
            if match is None:
                raise forms.ValidationError(f"{part!r} is not an AI system number such as AIS-3")
            numbers.append(int(match.group(1)))
        numbers = list(dict.fromkeys(numbers))
        found = {s.number: s for s in AISystem.objects.filter(organization=self.organization, number__in=numbers)}
        missing = [n for n in numbers if n not in found]
        if missing:
            raise forms.ValidationError(f"there is no AI system AIS-{missing[0]} in this organization")
        return [found[n] for n in numbers]

    def clean_sources(self):
        return [self.source_nodes[urn] for urn in self.cleaned_data["sources"]]

    def clean_objectives(self):
        return [self.objective_nodes[urn] for urn in self.cleaned_data["objectives"]]

    def values(self) -> dict:
        """Values for the service; without a loaded catalog, links to it are left as they are."""
        return {name: value for name, value in self.cleaned_data.items() if name in self.fields}


def _scale_choices(scale, *, empty: str | None = None) -> list[tuple[str, str]]:
    choices = [(str(level.value), f"{level.value} {level.name}") for level in scale]
    return [("", empty), *choices] if empty is not None else choices


class AssessForm(forms.Form):
    """Inherent scores, the treatment option and the residual scores, on the scales of the criteria in force:
    a consequence per dimension of the criteria (for the organization, for individuals, for societies …)."""

    treatment_option = forms.ChoiceField(
        required=False, choices=[("", "— not decided yet —"), *TreatmentOption.choices]
    )
    review_date = forms.DateField(required=False, widget=DATE, label="Next review")
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="Why these scores.")

    def __init__(self, *args, data_criteria: CriteriaData, risk=None, **kwargs):
        c = data_criteria
        if risk is not None and "initial" not in kwargs and risk.has_inherent:
            initial = {
                "inherent_likelihood": str(risk.inherent_likelihood),
                "treatment_option": risk.treatment_option,
                "residual_likelihood": str(risk.residual_likelihood or ""),
                "review_date": risk.review_date,
            }
            for kind in ("inherent", "residual"):
                values = getattr(risk, f"{kind}_consequences") or {}
                for key in c.dimension_keys:
                    initial[f"{kind}_consequence_{key}"] = str(values.get(key) or "")
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.dimensions = c.dimension_keys
        self.fields["inherent_likelihood"] = forms.TypedChoiceField(
            choices=_scale_choices(c.likelihood), coerce=int, label="Inherent likelihood"
        )
        for dimension in c.consequence_dimensions:
            self.fields[f"inherent_consequence_{dimension.key}"] = forms.TypedChoiceField(
                choices=_scale_choices(dimension.scale, empty="—"),
                coerce=int,
                empty_value=None,
                required=False,
                label=f"Inherent consequence {dimension.name.lower()}",
            )
        self.fields["residual_likelihood"] = forms.TypedChoiceField(
            choices=_scale_choices(c.likelihood, empty="—"),
            coerce=int,
            empty_value=None,
            required=False,
            label="Residual likelihood",
        )
        for dimension in c.consequence_dimensions:
            self.fields[f"residual_consequence_{dimension.key}"] = forms.TypedChoiceField(
                choices=_scale_choices(dimension.scale, empty="—"),
                coerce=int,
                empty_value=None,
                required=False,
                label=f"Residual consequence {dimension.name.lower()}",
            )
        last = f"residual_consequence_{c.dimension_keys[-1]}"
        self.fields[last].help_text = (
            "After the treatment. Retaining a risk without residual scores keeps the inherent ones. "
            "The level comes from the highest consequence."
        )
        self.order_fields(
            [
                "inherent_likelihood",
                *[f"inherent_consequence_{key}" for key in c.dimension_keys],
                "treatment_option",
                "residual_likelihood",
                *[f"residual_consequence_{key}" for key in c.dimension_keys],
                "review_date",
                "note",
            ]
        )

    def consequences(self, kind: str) -> dict[str, int] | None:
        """{dimension: value} as given (the service says which one is missing); None when none is given."""
        values = {key: self.cleaned_data.get(f"{kind}_consequence_{key}") for key in self.dimensions}
        return values if any(v is not None for v in values.values()) else None


class AcceptForm(forms.Form):
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why the residual risk is acceptable (recorded with your sign-off).",
    )

    def __init__(self, *args, **kwargs):
        # The assessment form on the same page has a note too: distinct ids keep each label on its own field.
        kwargs.setdefault("auto_id", "id_accept_%s")
        super().__init__(*args, **kwargs)


class CloseForm(forms.Form):
    reason = forms.CharField(required=False, max_length=500, help_text="e.g. the system was retired.")


class ActionForm(forms.Form):
    title = forms.CharField(max_length=200)
    due_date = forms.DateField(required=False, widget=DATE)
    status = forms.ChoiceField(choices=ActionStatus.choices, initial=ActionStatus.PLANNED)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, members=(), action=None, **kwargs):
        if action is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": action.title,
                "owner": str(action.owner_id or ""),
                "due_date": action.due_date,
                "status": action.status,
                "description": action.description,
            }
        super().__init__(*args, **kwargs)
        self.fields["owner"] = MemberChoiceField(required=False, users=members)
        self.order_fields(["title", "owner", "due_date", "status", "description"])
        if action is not None:
            add_revision(self, action)


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ActionStatus.choices)


class ControlSelectForm(forms.Form):
    def __init__(self, *args, controls=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.controls = {str(c.pk): c for c in controls}
        self.fields["control"] = forms.ChoiceField(
            choices=[("", "— choose a control —"), *((pk, str(c)) for pk, c in self.controls.items())],
            label="Control",
        )

    def clean_control(self):
        return self.controls[self.cleaned_data["control"]]


ROLE_CHOICES = [
    ("", "nobody may accept (treat it further)"),
    *((str(role), accepting_role_phrase(role)) for role in ACCEPTING_ROLES),
]


def _name_controls(form: forms.Form) -> None:
    """The criteria page lays its fields out in tables, without <label>s: each control is named by its label."""
    for field in form.fields.values():
        field.widget.attrs.setdefault("aria-label", str(field.label))


class CriteriaForm(forms.Form):
    """The next criteria version, on the current version's scale sizes and levels.

    Names and descriptions of the scale levels and risk levels, each cell of the matrix, and the
    appetite per level. Scale sizes and level keys change through the API (PUT …/risk-criteria/draft).
    """

    name = forms.CharField(max_length=120, required=False, label="Name of these criteria")
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="What changed and why", max_length=5000
    )

    def __init__(self, *args, base: CriteriaData, **kwargs):
        if "initial" not in kwargs:
            initial = {"name": base.name}
            for axis, prefix in (("likelihood", "l"), ("consequence", "c")):
                for level in getattr(base, axis):
                    initial[f"{prefix}{level.value}_name"] = level.name
                    initial[f"{prefix}{level.value}_description"] = level.description
            for level in base.levels:
                rule = base.rule(level.key)
                initial[f"level_{level.key}_name"] = level.name
                initial[f"level_{level.key}_description"] = level.description
                initial[f"level_{level.key}_color"] = level.color
                initial[f"appetite_{level.key}_within"] = rule.within_appetite
                initial[f"appetite_{level.key}_role"] = rule.accept_role or ""
            for li, row in enumerate(base.matrix, start=1):
                for ci, key in enumerate(row, start=1):
                    initial[f"cell_{li}_{ci}"] = key
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.base = base
        self.scales = {}
        for axis, prefix in (("likelihood", "l"), ("consequence", "c")):
            rows = []
            for level in getattr(base, axis):
                name = f"{prefix}{level.value}_name"
                description = f"{prefix}{level.value}_description"
                self.fields[name] = forms.CharField(max_length=60, label=f"{axis.capitalize()} {level.value}")
                self.fields[description] = forms.CharField(
                    required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
                )
                rows.append((level.value, self[name], self[description]))
            self.scales[axis] = rows
        level_choices = [(level.key, level.name) for level in base.levels]
        self.level_rows = []
        for level in base.levels:
            key = level.key
            self.fields[f"level_{key}_name"] = forms.CharField(max_length=40, label=f"Name of {key}")
            self.fields[f"level_{key}_description"] = forms.CharField(
                required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
            )
            self.fields[f"level_{key}_color"] = forms.RegexField(
                regex=r"^#[0-9a-fA-F]{6}$", widget=forms.TextInput(attrs={"type": "color"})
            )
            self.fields[f"appetite_{key}_within"] = forms.BooleanField(required=False, label="Within appetite")
            self.fields[f"appetite_{key}_role"] = forms.ChoiceField(
                required=False, choices=ROLE_CHOICES, label="The risk owner may accept if"
            )
            self.level_rows.append(
                {
                    "key": key,
                    "name": self[f"level_{key}_name"],
                    "description": self[f"level_{key}_description"],
                    "color": self[f"level_{key}_color"],
                    "within": self[f"appetite_{key}_within"],
                    "role": self[f"appetite_{key}_role"],
                }
            )
        self.matrix_rows = []
        n, m = base.size
        for li in range(n, 0, -1):
            cells = []
            for ci in range(1, m + 1):
                name = f"cell_{li}_{ci}"
                self.fields[name] = forms.ChoiceField(
                    choices=level_choices, label=f"Level at likelihood {li}, consequence {ci}"
                )
                cells.append(self[name])
            self.matrix_rows.append((li, cells))
        _name_controls(self)

    def content(self) -> dict:
        """The draft's criteria as a dict for `parse_criteria` (the service checks it)."""
        d = self.cleaned_data
        base = self.base
        return {
            "name": d.get("name", ""),
            "likelihood": [
                {"value": lv.value, "name": d[f"l{lv.value}_name"], "description": d[f"l{lv.value}_description"]}
                for lv in base.likelihood
            ],
            "consequence": [
                {"value": lv.value, "name": d[f"c{lv.value}_name"], "description": d[f"c{lv.value}_description"]}
                for lv in base.consequence
            ],
            # The page edits the scales' names, not each dimension's wording: those are kept (the API edits them).
            "consequence_dimensions": [dimension.model_dump() for dimension in base.consequence_dimensions],
            "levels": [
                {
                    "key": level.key,
                    "name": d[f"level_{level.key}_name"],
                    "description": d[f"level_{level.key}_description"],
                    "color": d[f"level_{level.key}_color"].lower(),
                }
                for level in base.levels
            ],
            "matrix": [
                [d[f"cell_{li}_{ci}"] for ci in range(1, len(base.consequence) + 1)]
                for li in range(1, len(base.likelihood) + 1)
            ],
            "appetite": [
                {
                    "level": level.key,
                    "within_appetite": d[f"appetite_{level.key}_within"],
                    "accept_role": d[f"appetite_{level.key}_role"] or None,
                }
                for level in base.levels
            ],
        }
