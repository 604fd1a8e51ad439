from django.conf import settings


def test_it_runs_with_the_test_environment():
    assert settings.HAVEN_ENV == "test"
