import pytest
from rest_framework.test import APIClient

from core import roles
from tests.factories import ContactFactory, user_with_role


@pytest.fixture
def marketer(db):
    return user_with_role(roles.MARKETING, username="marketer")


@pytest.fixture
def rep(db):
    return user_with_role(roles.SALES_REP, username="rep")


@pytest.fixture
def other_rep(db):
    return user_with_role(roles.SALES_REP, username="other_rep")


@pytest.fixture
def manager(db):
    return user_with_role(roles.SALES_MANAGER, username="manager")


@pytest.fixture
def admin_user(db):
    return user_with_role(roles.ADMIN, username="admin")


@pytest.fixture
def contact(db):
    return ContactFactory()


@pytest.fixture
def api():
    """An API client; call api.force_authenticate(user) or pass a token header."""
    return APIClient()


@pytest.fixture
def api_as():
    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make
