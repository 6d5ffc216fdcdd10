from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.forms.renderers import DjangoTemplates
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from autofin.throttle import client_ip, login_blocked, login_failure_record, login_success_record


class ThrottledLoginMixin:
    """The one throttle every login form goes through (autofin.throttle)."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request) if self.request else ""
        if login_blocked(username=username, ip=ip):
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            login_failure_record(username=username, ip=ip)
            raise
        login_success_record(username=username, ip=ip)
        return cleaned


_THROTTLED = _("登录失败次数过多，请 15 分钟后再试。")


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    error_messages = {**AuthenticationForm.error_messages, "throttled": _THROTTLED}


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    error_messages = {**AdminAuthenticationForm.error_messages, "throttled": _THROTTLED}


class ReauthForm(forms.Form):
    """The signed-in user's password again, before a money action (autofin.reauth)."""

    password = forms.CharField(widget=forms.PasswordInput, strip=False)

    error_messages = {
        "wrong": _("密码不正确。"),
        "throttled": _THROTTLED,
    }

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean(self):
        cleaned = super().clean()
        user, ip = self.request.user, client_ip(self.request)
        username = user.get_username()
        if login_blocked(username=username, ip=ip):
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        if not user.check_password(cleaned.get("password") or ""):
            login_failure_record(username=username, ip=ip)
            raise forms.ValidationError(self.error_messages["wrong"], code="wrong")
        login_success_record(username=username, ip=ip)
        return cleaned


class HouseBoundField(forms.BoundField):
    """A label's suffix in the page's language: "：" on a Chinese page, ":" on an English one.
    Django's default suffix is gettext(":"), which its own zh_Hans catalogue leaves ASCII, so
    every {{ form.as_div }} printed "类型:"."""

    def label_tag(self, contents=None, attrs=None, label_suffix=None, tag=None):
        default = self.field.label_suffix is None and self.form.label_suffix == ":"
        if label_suffix is None and default:
            label_suffix = "：" if (get_language() or "").startswith("zh") else ":"
        return super().label_tag(contents, attrs, label_suffix, tag)


class HouseFormRenderer(DjangoTemplates):
    """The project's FORM_RENDERER: Django's, with the label suffix above on every form."""

    bound_field_class = HouseBoundField
