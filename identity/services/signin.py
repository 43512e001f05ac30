"""Sign-in requests: recorded on a first sign-in that matched no account, then decided."""

from __future__ import annotations

from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from identity.domain.emails import normalise_email
from identity.errors import IdentityError, RequestAlreadyDecided
from identity.models import RequestStatus, SignInRequest
from identity.services.usernames import free_username


@transaction.atomic
def signin_request_record(
    *, provider: str, uid: str, email: str, name: str, department_id: int | None
) -> SignInRequest:
    """Record (or refresh) the request of a person the provider knows and we do not."""
    request, created = SignInRequest.objects.select_for_update().get_or_create(
        provider=provider,
        uid=uid,
        defaults={
            "email": normalise_email(email),
            "name": name[:255],
            "department_id": department_id,
        },
    )
    if not created and request.status == RequestStatus.PENDING:
        request.email = normalise_email(email)
        request.name = name[:255]
        request.save(update_fields=["email", "name"])
    return request


def _decided(request: SignInRequest, *, status: str, by: User) -> None:
    request.status = status
    request.decided_at = timezone.now()
    request.decided_by = by
    request.save(update_fields=["status", "user", "decided_at", "decided_by"])


@transaction.atomic
def signin_request_approve(*, sign_in_request: SignInRequest, decided_by: User) -> User:
    """Link the identity to the chosen account, or to a new account without a password."""
    request = SignInRequest.objects.select_for_update().get(pk=sign_in_request.pk)
    if request.status != RequestStatus.PENDING:
        raise RequestAlreadyDecided(_("This sign-in request was already decided."))
    if SocialAccount.objects.filter(provider=request.provider, uid=request.uid).exists():
        raise IdentityError(_("This identity is already linked to an account."))
    user = request.user
    if user is None:
        user = User(
            username=free_username(request.email or request.uid),
            email=request.email,
            first_name=request.name[:150],
        )
        user.set_unusable_password()
        user.save()
        request.user = user
    SocialAccount.objects.create(user=user, provider=request.provider, uid=request.uid)
    _decided(request, status=RequestStatus.APPROVED, by=decided_by)
    return user


@transaction.atomic
def signin_request_refuse(*, sign_in_request: SignInRequest, decided_by: User) -> None:
    """Refuse the request: the person's next sign-in is told so."""
    request = SignInRequest.objects.select_for_update().get(pk=sign_in_request.pk)
    if request.status != RequestStatus.PENDING:
        raise RequestAlreadyDecided(_("This sign-in request was already decided."))
    _decided(request, status=RequestStatus.REFUSED, by=decided_by)
