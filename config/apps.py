from django.contrib.admin.apps import AdminConfig


class HavenAdminConfig(AdminConfig):
    default_site = "config.admin.HavenAdminSite"
