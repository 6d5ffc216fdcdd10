"""Sign-up by SMS code: phone -> code -> name and password -> a signed-in customer."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from autofin.throttle import client_ip
from origination.forms.apply import SignupForm, errors_into
from origination.services.applications.errors import ApplicationValidationError
from origination.services.signup import customer_signup, sms_code_send


def signup(request):
    """Phone -> SMS code -> name and password -> a signed-in customer."""
    if request.user.is_authenticated:
        return redirect("origination:apply_start")
    form = SignupForm(request.POST or None)
    code_sent = request.POST.get("action") == "signup"
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if request.POST.get("action") == "send_code":
                sms_code_send(phone=data["phone"], client=f"ip:{client_ip(request)}")
                messages.success(request, _("验证码已发送，请查收短信。"))
                code_sent = True
            else:
                user = customer_signup(
                    phone=data["phone"],
                    code=data["code"],
                    display_name=data["display_name"],
                    password=data["password"],
                )
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, _("注册成功，欢迎使用 AutoFin。"))
                return redirect("origination:apply_start")
        except ApplicationValidationError as exc:
            errors_into(form, exc.errors)
    return render(request, "origination/apply/signup.html", {"form": form, "code_sent": code_sent})
