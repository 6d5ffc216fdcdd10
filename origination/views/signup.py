"""Sign-up and log-in by SMS code: phone -> code -> a signed-in customer (sign-up also asks a
name and a password). Both keep a safe ``next`` so a plan chosen in the calculator survives."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from autofin.throttle import client_ip
from origination.forms.apply import LoginCodeForm, SignupForm, errors_into
from origination.services.applications.errors import ApplicationValidationError
from origination.services.signup import customer_login_by_code, customer_signup, sms_code_send

BACKEND = "django.contrib.auth.backends.ModelBackend"


def _next_url(request) -> str:
    """The page to land on after signing in: a same-site ``next``, else a new application."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return resolve_url("origination:apply_start")


def _send_code(request, form, purpose: str) -> bool:
    try:
        sms_code_send(
            phone=form.cleaned_data["phone"], purpose=purpose, client=f"ip:{client_ip(request)}"
        )
    except ApplicationValidationError as exc:
        errors_into(form, exc.errors)
        return False
    messages.success(request, _("验证码已发送，请查收短信。"))
    return True


def signup(request):
    """Phone -> SMS code -> name and password -> a signed-in customer."""
    if request.user.is_authenticated:
        return redirect(_next_url(request))
    form = SignupForm(request.POST or None)
    code_sent = request.POST.get("action") == "signup"
    just_sent = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if request.POST.get("action") == "send_code":
            just_sent = code_sent = _send_code(request, form, "signup")
        else:
            try:
                user = customer_signup(
                    phone=data["phone"],
                    code=data["code"],
                    display_name=data["display_name"],
                    password=data["password"],
                )
            except ApplicationValidationError as exc:
                errors_into(form, exc.errors)
            else:
                login(request, user, backend=BACKEND)
                messages.success(request, _("注册成功，欢迎使用 AutoFin。"))
                return redirect(_next_url(request))
    context = {"form": form, "code_sent": code_sent, "just_sent": just_sent}
    context["next"] = _next_url(request)
    return render(request, "origination/apply/signup.html", context)


def login_code(request):
    """Log in with the phone and an SMS code (a first code login opens a customer account)."""
    if request.user.is_authenticated:
        return redirect(_next_url(request))
    form = LoginCodeForm(request.POST or None)
    just_sent = False
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == "send_code":
            just_sent = _send_code(request, form, "login")
        else:
            try:
                user = customer_login_by_code(
                    phone=form.cleaned_data["phone"], code=form.cleaned_data["code"]
                )
            except ApplicationValidationError as exc:
                errors_into(form, exc.errors)
            else:
                login(request, user, backend=BACKEND)
                return redirect(_next_url(request))
    context = {"form": form, "just_sent": just_sent, "next": _next_url(request)}
    return render(request, "origination/apply/login_code.html", context)
