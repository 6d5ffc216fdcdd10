"""Issue 16: the 403, 404 and 500 pages are friendly and lead somewhere; the 500 page renders
without a request or context processors (Django's server_error gives it an empty Context)."""

from __future__ import annotations

import pytest
from django.template import loader
from django.test import RequestFactory
from django.views.defaults import server_error

from autofin.roles import Role
from tests.factories import UserFactory


@pytest.mark.django_db
def test_404_page_says_what_happened_and_links_home(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    text = response.content.decode()
    assert "没有找到这个页面" in text and 'href="/"' in text and "返回首页" in text
    assert 'rel="icon"' in text


@pytest.mark.django_db
def test_403_page_for_a_customer_on_a_back_office_page_offers_their_own_pages(client):
    customer = UserFactory(roles=[Role.CUSTOMER])
    client.force_login(customer)
    response = client.get("/servicing/loans/")
    assert response.status_code == 403
    text = response.content.decode()
    assert "您没有权限查看这个页面" in text and "返回首页" in text


def test_500_page_renders_without_request_or_context_processors():
    response = server_error(RequestFactory().get("/boom/"))
    assert response.status_code == 500
    text = response.content.decode()
    assert "系统暂时出错" in text and 'href="/"' in text and "返回首页" in text
    # the template needs nothing from a context processor
    assert "系统暂时出错" in loader.get_template("500.html").render({})


@pytest.mark.django_db
def test_language_switcher_names_each_language_in_itself(client):
    text = client.get("/").content.decode()
    assert ">简体中文</option>" in text and ">English</option>" in text and "英语" not in text
