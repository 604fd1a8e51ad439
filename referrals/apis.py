"""The referral API: send (with ``Idempotency-Key``), read the state, decide, withdraw.

The sender reads states only; the packet is never returned by the API.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import StrictInput, links
from consent.models import Consent, Item
from directory.models import Category, Hold, Location, Organization
from directory.selectors import acting_for, viewer_organization_ids
from idempotency import services as idempotency
from idempotency.services import idempotent
from referrals import services
from referrals.models import DeclineReason, Need, Referral, SafetyFlag, Urgency
from referrals.selectors import DECIDING_ROLES, SENDING_ROLES, referral_get_for_user


class Conflict(exceptions.APIException):
    status_code = 409
    default_code = "conflict"


class HouseholdInput(StrictInput):
    adults = serializers.IntegerField(min_value=1, max_value=20)
    children_0_5 = serializers.IntegerField(min_value=0, max_value=20, default=0)
    children_6_12 = serializers.IntegerField(min_value=0, max_value=20, default=0)
    children_13_17 = serializers.IntegerField(min_value=0, max_value=20, default=0)


class ItemsInput(StrictInput):
    """Only items the consent allows; each one named. Never logged, never returned."""

    name = serializers.CharField(max_length=300, required=False)
    contact = serializers.CharField(max_length=300, required=False)
    age = serializers.CharField(max_length=300, required=False)
    language = serializers.CharField(max_length=300, required=False)
    household = serializers.CharField(max_length=300, required=False)
    medical = serializers.CharField(max_length=300, required=False)
    safety = serializers.CharField(max_length=300, required=False)
    documents = serializers.CharField(max_length=300, required=False)
    notes = serializers.CharField(max_length=1000, required=False)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = set(data) - set(Item.values)
            if unknown:
                raise serializers.ValidationError(
                    {str(name)[:40]: ["Not an item that can be shared."] for name in unknown}
                )
        return super().to_internal_value(data)


# What referral_send accepts as a language (the class below has a field named services).
LANGUAGE_PATTERN = rf"^({services.LANGUAGE_CODE.pattern})?$"
ERROR_LANGUAGE = services.ERROR_LANGUAGE


class ReferralInput(StrictInput):
    consent = serializers.UUIDField(help_text="The consent's reference.")
    recipient = serializers.UUIDField(help_text="The receiving organisation's id.")
    location = serializers.UUIDField(required=False, allow_null=True)
    hold = serializers.UUIDField(required=False, allow_null=True)
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    services = serializers.ListField(
        child=serializers.ChoiceField(choices=Category.choices), min_length=1, max_length=12
    )
    household = HouseholdInput()
    needs = serializers.ListField(
        child=serializers.ChoiceField(choices=Need.choices), required=False, max_length=10
    )
    language = serializers.RegexField(
        LANGUAGE_PATTERN,
        max_length=8,
        required=False,
        allow_blank=True,
        help_text="The language to speak with the person, as a code such as es or es-MX.",
        error_messages={"invalid": ERROR_LANGUAGE},
    )
    safety = serializers.ListField(
        child=serializers.ChoiceField(choices=SafetyFlag.choices), required=False, max_length=10
    )
    callback = serializers.CharField(min_length=5, max_length=200)
    items = ItemsInput(help_text="The consented items, sealed to the recipient's key.")


class ReferralOutput(serializers.Serializer):
    """States and codes only: no sealed content, no staff names."""

    id = serializers.UUIDField(source="code")
    status = serializers.ChoiceField(choices=Referral.Status.choices)
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    services = serializers.ListField(child=serializers.CharField())
    agency = serializers.UUIDField(source="agency.code")
    recipient = serializers.UUIDField(source="recipient.code")
    hold = serializers.UUIDField(source="hold.code", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
    decide_by = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    decline_reason = serializers.CharField(allow_blank=True)
    withdrawal = serializers.CharField(allow_blank=True)


class DeclineInput(StrictInput):
    reason = serializers.ChoiceField(choices=DeclineReason.choices)


def _valid(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _found(model: Any, field: str, **lookup: Any) -> Any:
    """The object a field of the body names; none (or not the caller's) is a 400 on that field."""
    try:
        return model.objects.get(**lookup)
    except (model.DoesNotExist, ValidationError, ValueError):
        raise exceptions.ValidationError({field: ["Not found."]}) from None


def _as_api_error(error: ValidationError) -> exceptions.ValidationError:
    if hasattr(error, "error_dict"):
        return exceptions.ValidationError(error.message_dict)
    return exceptions.ValidationError(" ".join(error.messages), code=error.code or "invalid")


# What a referral's id opens, linked from every answer that carries one (OpenAPI links).
REFERRAL_ACTIONS = ("referral_accept", "referral_decline", "referral_withdraw")


class ReferralSendApi(APIView):
    @extend_schema(
        operation_id="referral_send",
        summary="Send a referral under the survivor's consent (items sealed to the recipient)",
        request=ReferralInput,
        responses={201: ReferralOutput, 409: None, 422: None},
        parameters=[idempotency.KEY_PARAMETER],
        extensions=links(201, *REFERRAL_ACTIONS, "referral_get"),
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = _valid(ReferralInput, request)
        organizations = viewer_organization_ids(request.user)
        consent = _found(
            Consent, "consent", code=data["consent"],
            requested_by__organization_id__in=organizations,
        )  # fmt: skip
        agency = consent.requested_by.organization
        sent_by = acting_for(request.user, agency, roles=SENDING_ROLES, scope="referrals:write")
        recipient = _found(Organization, "recipient", code=data["recipient"])
        location = hold = None
        if data.get("location"):
            location = _found(Location, "location", code=data["location"])
        if data.get("hold"):
            hold = _found(Hold, "hold", code=data["hold"], agency=agency)
        try:
            referral = services.referral_send(
                agency=agency, sent_by=sent_by, recipient=recipient, consent=consent,
                tier1=services.Tier1(
                    urgency=data["urgency"], services=data["services"],
                    household=dict(data["household"]), callback=data["callback"],
                    needs=data.get("needs", []), language=data.get("language", ""),
                    safety=data.get("safety", []),
                ),
                items=dict(data["items"]), location=location, hold=hold,
            )  # fmt: skip
        except ValidationError as error:
            raise _as_api_error(error) from None
        return Response(ReferralOutput(referral).data, status=201)


def _referral_for(request: Request, code: str) -> Referral:
    try:
        return referral_get_for_user(user=request.user, code=code)
    except Http404:
        raise exceptions.NotFound from None


class ReferralDetailApi(APIView):
    @extend_schema(
        operation_id="referral_get",
        responses={200: ReferralOutput},
        extensions=links(200, *REFERRAL_ACTIONS),
    )
    def get(self, request: Request, code: str) -> Response:
        referral = _referral_for(request, code)
        scopes = getattr(request.user, "scopes", None)
        if scopes is not None and "referrals:read" not in scopes:
            raise PermissionDenied
        return Response(ReferralOutput(referral).data)


def _decide(request: Request, code: str, side: str, act: Any) -> Response:
    referral = _referral_for(request, code)
    if side == "recipient":
        membership = acting_for(
            request.user, referral.recipient, roles=DECIDING_ROLES, scope="referrals:decide"
        )
    else:
        membership = acting_for(
            request.user, referral.agency, roles=SENDING_ROLES, scope="referrals:write"
        )
    try:
        referral = act(referral, membership)
    except services.ReferralConflict as error:
        raise Conflict(detail=error.message, code=error.code) from None
    except ValidationError as error:
        raise _as_api_error(error) from None
    return Response(ReferralOutput(referral).data)


class ReferralAcceptApi(APIView):
    @extend_schema(operation_id="referral_accept", request=None,
                   responses={200: ReferralOutput, 409: None},
                   extensions=links(200, "referral_get"))  # fmt: skip
    def post(self, request: Request, code: str) -> Response:
        return _decide(request, code, "recipient",
                       lambda r, m: services.referral_accept(referral=r, by=m))  # fmt: skip


class ReferralDeclineApi(APIView):
    @extend_schema(operation_id="referral_decline", request=DeclineInput,
                   responses={200: ReferralOutput, 409: None},
                   extensions=links(200, "referral_get"))  # fmt: skip
    def post(self, request: Request, code: str) -> Response:
        reason = _valid(DeclineInput, request)["reason"]

        def decline(referral: Referral, membership: Any) -> Referral:
            return services.referral_decline(referral=referral, by=membership, reason=reason)

        return _decide(request, code, "recipient", decline)


class ReferralWithdrawApi(APIView):
    @extend_schema(operation_id="referral_withdraw", request=None,
                   responses={200: ReferralOutput, 409: None},
                   extensions=links(200, "referral_get"))  # fmt: skip
    def post(self, request: Request, code: str) -> Response:
        return _decide(request, code, "sender",
                       lambda r, m: services.referral_withdraw(referral=r, by=m))  # fmt: skip
