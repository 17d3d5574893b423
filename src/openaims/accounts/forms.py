from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm

from openaims.accounts.models import User
from openaims.accounts.services import password_reset_complete, password_reset_requested


class LoginForm(forms.Form):
    username = forms.CharField(
        max_length=150,
        label="Username or email",
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label="Current password", widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    new_password = forms.CharField(
        label="New password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    new_password2 = forms.CharField(
        label="New password again", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password") and data.get("new_password") != data.get("new_password2"):
            self.add_error("new_password2", "the two new passwords differ")
        return data


class SignupForm(forms.Form):
    """Account creation from an invitation link."""

    username = forms.CharField(max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username"}))
    full_name = forms.CharField(max_length=150, required=False)
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(
        label="Password again", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", "the two passwords differ")
        return data


class ResetRequestForm(PasswordResetForm):
    """Django's reset request: mails a link to each active account with that address, and says the same either way."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        super().send_mail(
            subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name
        )
        password_reset_requested(user=context["user"])


if TYPE_CHECKING:
    _SetPasswordForm = SetPasswordForm[User]  # generic in django-stubs only
else:
    _SetPasswordForm = SetPasswordForm


class ResetPasswordForm(_SetPasswordForm):
    """Django's new-password form (two fields, the validators), saved through the service so it is audited."""

    def save(self, commit: bool = True) -> User:
        password_reset_complete(actor=self.user, user=self.user, new_password=self.cleaned_data["new_password1"])
        return self.user
