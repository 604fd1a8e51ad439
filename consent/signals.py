"""The consent app's one extension point.

``consent_revoked`` is sent, inside the revoking transaction, whenever a consent is taken
back — by the survivor in the portal or by staff recording a phone call. Apps that hold
things under a consent (referrals) connect a receiver; ``consent`` never imports them.
Receivers run in the same transaction: if one fails, the revocation fails with it and the
survivor is told to try again, rather than something shared staying out of reach.

    consent_revoked.send(sender=Consent, consent=consent, at=datetime)
"""

from django.dispatch import Signal

consent_revoked = Signal()
