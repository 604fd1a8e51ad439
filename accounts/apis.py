"""Accounts API: ``GET /api/v1/me`` — who is calling, for which organisations."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import TokenClient
from accounts.models import ApiToken
from directory.models import Membership, Organization
from directory.selectors import memberships_for


class CallerOrganizationOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Organization.Kind.choices)


class MembershipOutput(serializers.Serializer):
    organization = CallerOrganizationOutput()
    role = serializers.ChoiceField(choices=Membership.Role.choices)


class MeOutput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["person", "token"])
    email = serializers.EmailField(required=False)
    memberships = MembershipOutput(many=True, required=False)
    organization = CallerOrganizationOutput(required=False)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=ApiToken.Scope.choices), required=False
    )


def _organization(organization: Organization) -> dict[str, Any]:
    return {"id": organization.code, "name": organization.name, "kind": organization.kind}


class MeApi(APIView):
    @extend_schema(operation_id="me", summary="Who is calling", responses={200: MeOutput})
    def get(self, request: Request) -> Response:
        body: dict[str, Any]
        if isinstance(request.user, TokenClient):
            body = {
                "kind": "token",
                "organization": _organization(request.user.organization),
                "scopes": sorted(request.user.scopes),
            }
        else:
            body = {
                "kind": "person",
                "email": getattr(request.user, "email", ""),
                "memberships": [
                    {"organization": _organization(m.organization), "role": m.role}
                    for m in memberships_for(request.user)
                ],
            }
        return Response(MeOutput(body).data)
